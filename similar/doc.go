// Package similar finds open cases that are probably the same problem as a new report:
// near it (within a radius per category, 200 m by default) and similar in text.
//
// Texts are compared as sets of character 2- and 3-grams, so Chinese needs no dictionary
// or segmentation. Before that a text is normalised (Normalize): full-width forms become
// half-width, Latin letters lower-case, and punctuation, symbols and whitespace are dropped;
// only its first MaxRunes (1,000) runes count. The n-grams are hashed with FNV-1a (runes
// as units).
//
// An Index keeps the open cases in a uniform grid of about 200 m cells, each with a
// MinHash signature (64 permutations) of its n-gram set and the set's size. A query
// (Similar) takes the cases within the radius, estimates each one's similarity from the
// signatures, drops those that cannot reach the minimum score, and compares the rest (at
// most 64) exactly. The score, documented on Similar, adds the text similarity (70 %),
// closeness (20 %) and same category (10 %). The index keeps the case texts for that
// exact comparison unless Options.Texts is set: then it keeps none and loads the texts of
// a query's candidates (at most 64) in one call, with the same results.
//
// The text similarity that counts is TextOverlap, the containment of the smaller n-gram
// set in the larger: a one-line report of what a long letter describes scores high, where
// Jaccard (TextSimilarity) would not. See docs/duplicates.md for the labelled pairs built
// from real citizen messages, the precision and recall, and the benchmark.
package similar

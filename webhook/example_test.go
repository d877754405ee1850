package webhook_test

import (
	"encoding/json"
	"log"
	"net/http"
	"sync"

	"github.com/gridloop/gridloop/webhook"
)

// A receiver: verify the signature and the timestamp, de-duplicate on the delivery id,
// keep the event, and only then answer 2xx. (docs/webhooks.md shows this example.)
func Example_receiver() {
	secret := "whsec_…" // the secret gridloop answered when the subscription was made
	var mu sync.Mutex
	seen := map[string]bool{} // use a table with a unique key on the delivery id in production

	http.HandleFunc("POST /gridloop", func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(r, secret, webhook.DefaultTolerance)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[p.ID] {
			return // a retry or a replay of a delivery already kept: 200, nothing to do
		}
		log.Printf("case %s: %s (%s → %s)", p.Case.Code, p.Event.Action, p.Event.From, p.Event.To)
		seen[p.ID] = true
	})
	// http.ListenAndServe(":8081", nil)
}

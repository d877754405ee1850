#!/usr/bin/env bash
# scripts/test.sh: the one command that runs every check and test (`make test`).
#
# On a fresh Debian 12 machine, as root, with no manual setup, it
#   1. installs what is missing, from Debian's packages: postgresql, and
#      chromium with fonts-noto-cjk (Chinese glyphs in screenshots);
#   2. starts a throwaway PostgreSQL cluster on 127.0.0.1 in a temp dir (stopped
#      and removed on exit, even on failure) and exports
#      GRIDLOOP_TEST_POSTGRES and GRIDLOOP_CHROMIUM for the tests;
#   3. runs gofmt -l, go vet, staticcheck, then go test -count=1 -timeout 30m.
#
# Usage:
#   scripts/test.sh [go test flags...]   e.g. scripts/test.sh -run TestStore -v
#   scripts/test.sh --lint-only          gofmt, go vet and staticcheck only (make lint)
# Environment:
#   CI=true                 a part that cannot be set up (apt, postgres, chromium,
#                           staticcheck) is an error; otherwise it is a warning and
#                           the tests that need it skip
#   PKGS                    packages for go vet, staticcheck and go test
#                           (default ./...; e.g. PKGS=./internal/dbtest/)
#   GRIDLOOP_TEST_POSTGRES  if already set, that cluster is used and none is started
#   GRIDLOOP_CHROMIUM       if already set to an executable, it is used as is
#   STATICCHECK_VERSION     version installed when staticcheck is not on PATH
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ ! -f go.mod ]]; then
	echo "test.sh: $(pwd) has no go.mod: run scripts/test.sh from the repository" >&2
	exit 2
fi

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2} # v0.8.x: the releases for Go 1.26
read -r -a PKG_LIST <<<"${PKGS:-./...}"
PG_PORT_FIRST=54320
PG_PORT_LAST=54399

LINT_ONLY=false
if [[ ${1:-} == --lint-only ]]; then
	LINT_ONLY=true
	shift
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH=/usr/local/go/bin:$PATH
fi

# ---------------------------------------------------------------- helpers

is_ci() {
	case ${CI:-} in
	1 | t | T | true | TRUE | True) return 0 ;; # as Go's strconv.ParseBool
	*) return 1 ;;
	esac
}

now_ms() { date +%s%3N; }

fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# need MESSAGE: a part of the test setup is missing. Under CI=true that is
# fatal; otherwise warn and go on (the tests that need the part skip).
need() {
	if is_ci; then
		printf '\ntest.sh: ERROR: %s\ntest.sh: CI=true, so this is fatal.\n' "$1" >&2
		exit 1
	fi
	printf 'test.sh: WARNING: %s; going on without it (tests that need it will skip).\n' "$1" >&2
}

# Phases and their timings.
PHASE=""
PHASE_T0=0
START_MS=$(now_ms)
TIMINGS=()

phase() {
	phase_end
	PHASE=$1
	PHASE_T0=$(now_ms)
	printf '\n==> %s\n' "$PHASE"
}

phase_end() {
	[[ -n $PHASE ]] || return 0
	local t
	t=$(fmt_ms $(($(now_ms) - PHASE_T0)))
	TIMINGS+=("$PHASE $t")
	printf '==> %s: done in %s\n' "$PHASE" "$t"
	PHASE=""
}

# ---------------------------------------------------------------- cleanup

PG_DIR=""     # temp dir of the throwaway cluster
PG_BIN=""     # its server binaries
PG_AS=()      # how to run them: as the postgres OS user when we are root
APT_LOG=""

stop_postgres() {
	[[ -n $PG_DIR && -d $PG_DIR ]] || return 0
	if [[ -f $PG_DIR/data/postmaster.pid ]]; then
		(cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop) >/dev/null 2>&1 || true
		if [[ -f $PG_DIR/data/postmaster.pid ]]; then
			# pg_ctl could not stop it: kill the postmaster we started.
			local pid
			pid=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
			if [[ $pid =~ ^[0-9]+$ ]]; then
				kill -KILL "$pid" 2>/dev/null || true
				sleep 1
			fi
		fi
	fi
	rm -rf "$PG_DIR"
	echo "postgres: throwaway cluster stopped and $PG_DIR removed"
	PG_DIR=""
}

GO_TEST_PID="" # session (and process group) of a running go test

on_exit() {
	local rc=$?
	set +e
	if [[ -n $GO_TEST_PID ]] && kill -0 "$GO_TEST_PID" 2>/dev/null; then
		echo "test.sh: stopping go test" >&2
		kill -TERM -- "-$GO_TEST_PID" 2>/dev/null
		local i
		for ((i = 0; i < 50; i++)); do
			kill -0 -- "-$GO_TEST_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$GO_TEST_PID" 2>/dev/null
	fi
	if [[ -n $PHASE ]]; then
		TIMINGS+=("$PHASE $(fmt_ms $(($(now_ms) - PHASE_T0))) (failed)")
		PHASE=""
	fi
	stop_postgres
	[[ -n $APT_LOG ]] && rm -f "$APT_LOG"
	if ((${#TIMINGS[@]})); then
		printf '\n==> timings:\n'
		printf '    %s\n' "${TIMINGS[@]}"
		printf '    total %s\n' "$(fmt_ms $(($(now_ms) - START_MS)))"
	fi
	if ((rc != 0)); then
		printf 'test.sh: FAILED (exit %d)\n' "$rc" >&2
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- apt

APT_UPDATED=false

# apt_install PKG...: install Debian packages quietly with a one-line status.
apt_install() {
	if ((EUID != 0)); then
		echo "apt: not root, cannot install $*" >&2
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "apt: no apt-get on this machine, cannot install $*" >&2
		return 1
	fi
	[[ -n $APT_LOG ]] || APT_LOG=$(mktemp /tmp/gridloop-apt.XXXXXX)
	local t0 apt_opts=(-q -o DPkg::Lock::Timeout=600)
	t0=$(now_ms)
	printf 'apt: installing %s ... ' "$*"
	if ! $APT_UPDATED; then
		# Once per run. If it fails, still try the install with the lists we have.
		if DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >>"$APT_LOG" 2>&1; then
			APT_UPDATED=true
		else
			printf '(apt-get update failed) '
		fi
	fi
	if DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -y install "$@" >>"$APT_LOG" 2>&1; then
		echo "ok ($(fmt_ms $(($(now_ms) - t0))))"
		return 0
	fi
	echo "FAILED ($(fmt_ms $(($(now_ms) - t0)))); last lines of apt's output:"
	tail -n 15 "$APT_LOG" | sed 's/^/    /'
	return 1
}

pkg_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

# ---------------------------------------------------------------- postgres

find_initdb() {
	local f best=""
	for f in /usr/lib/postgresql/*/bin/initdb; do
		[[ -x $f ]] && best=$f # the glob sorts 15 before 16; fine for one version
	done
	[[ -n $best ]] && echo "$best"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

setup_postgres() {
	if [[ -n ${GRIDLOOP_TEST_POSTGRES:-} ]]; then
		echo "postgres: using GRIDLOOP_TEST_POSTGRES from the environment; no cluster started"
		return 0
	fi

	local initdb installed_now=false
	if ! initdb=$(find_initdb); then
		if apt_install postgresql; then
			installed_now=true
		fi
		if ! initdb=$(find_initdb); then
			need "no PostgreSQL server (no /usr/lib/postgresql/*/bin/initdb) and apt-get install postgresql did not provide one"
			return 0
		fi
	fi
	if $installed_now && command -v pg_lsclusters >/dev/null 2>&1; then
		# Debian's package may create and start a 'main' cluster; the tests use
		# their own, so stop it rather than leave a server running.
		local ver name _
		while read -r ver name _; do
			pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
		done < <(pg_lsclusters -h 2>/dev/null | awk '$4 == "online"')
	fi
	PG_BIN=$(dirname "$initdb")

	PG_AS=()
	if ((EUID == 0)); then
		# initdb and postgres refuse to run as root.
		if ! id -u postgres >/dev/null 2>&1; then
			need "no 'postgres' OS user to run the PostgreSQL server as (it refuses root)"
			return 0
		fi
		PG_AS=(runuser -u postgres --)
	fi

	# In /tmp, which the postgres user can reach, whatever $TMPDIR is.
	PG_DIR=$(mktemp -d /tmp/gridloop-pg.XXXXXX)
	chmod 700 "$PG_DIR"
	((EUID != 0)) || chown postgres:postgres "$PG_DIR"

	if ! (cd "$PG_DIR" && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		--auth=trust --encoding=UTF8 --locale=C --no-sync) >"$PG_DIR/initdb.log" 2>&1; then
		tail -n 15 "$PG_DIR/initdb.log" | sed 's/^/    /' >&2
		stop_postgres
		need "initdb failed (output above)"
		return 0
	fi
	mkdir "$PG_DIR/sock"
	((EUID != 0)) || chown postgres:postgres "$PG_DIR/sock"
	cat >>"$PG_DIR/data/postgresql.conf" <<EOF

# gridloop scripts/test.sh: a throwaway cluster for tests.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sock'
max_connections = 300
fsync = off
full_page_writes = off
synchronous_commit = off
EOF

	local port started=false
	for ((port = PG_PORT_FIRST; port <= PG_PORT_LAST; port++)); do
		port_in_use "$port" && continue
		rm -f "$PG_DIR/server.log"
		if (cd "$PG_DIR" && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
			-o "-p $port" -w -t 60 start) >"$PG_DIR/pg_ctl.log" 2>&1; then
			started=true
			break
		fi
		# Lost a race for the port: try the next one. Anything else: give up.
		grep -q 'already in use' "$PG_DIR/server.log" 2>/dev/null || break
	done
	if ! $started; then
		cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" 2>/dev/null | tail -n 20 | sed 's/^/    /' >&2
		stop_postgres
		need "could not start a throwaway PostgreSQL cluster (output above)"
		return 0
	fi
	export GRIDLOOP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	echo "postgres: $("$PG_BIN/postgres" --version) on 127.0.0.1:$port, data in $PG_DIR"
	echo "postgres: GRIDLOOP_TEST_POSTGRES=$GRIDLOOP_TEST_POSTGRES"
}

# ---------------------------------------------------------------- chromium

setup_chromium() {
	if [[ -n ${GRIDLOOP_CHROMIUM:-} && -x ${GRIDLOOP_CHROMIUM:-} ]]; then
		echo "chromium: using GRIDLOOP_CHROMIUM=$GRIDLOOP_CHROMIUM from the environment"
		return 0
	fi
	unset GRIDLOOP_CHROMIUM
	local chromium=/usr/bin/chromium missing=()
	[[ -x $chromium ]] || missing+=(chromium)
	pkg_installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
	if ((${#missing[@]})); then
		apt_install "${missing[@]}" || true
	fi
	if [[ ! -x $chromium ]]; then
		need "no Chromium ($chromium) and apt-get install chromium did not provide it"
		return 0
	fi
	if ! pkg_installed fonts-noto-cjk; then
		need "fonts-noto-cjk is not installed: Chinese text in screenshots would be boxes"
	fi
	local version
	if ! version=$(timeout 60 "$chromium" --version 2>/dev/null); then
		need "$chromium --version fails"
		return 0
	fi
	export GRIDLOOP_CHROMIUM=$chromium
	echo "chromium: $version at $GRIDLOOP_CHROMIUM"
}

# ---------------------------------------------------------------- checks

run_gofmt() {
	local files=() f
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		mapfile -d '' files < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
	else
		mapfile -d '' files < <(find . -name '*.go' -not -path './.git/*' -print0)
	fi
	local check=()
	for f in "${files[@]}"; do
		case /$f in
		*/testdata/* | */vendor/*) continue ;; # fixtures may be unformatted on purpose
		esac
		[[ -f $f ]] && check+=("$f") # a tracked file may be deleted in the work tree
	done
	if ((${#check[@]} == 0)); then
		echo "gofmt: no Go files"
		return 0
	fi
	local bad
	bad=$(gofmt -l "${check[@]}")
	if [[ -n $bad ]]; then
		echo "gofmt: these files are not gofmt-ed (run gofmt -w on them):" >&2
		printf '%s\n' "$bad" | sed 's/^/    /' >&2
		return 1
	fi
	echo "gofmt: ${#check[@]} files ok"
}

staticcheck_bin() {
	if command -v staticcheck >/dev/null 2>&1; then
		command -v staticcheck
		return 0
	fi
	local gobin
	gobin=$(go env GOBIN)
	if [[ -z $gobin ]]; then
		gobin=$(go env GOPATH)
		gobin=${gobin%%:*}/bin
	fi
	if [[ -x $gobin/staticcheck ]] && "$gobin/staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
		echo "$gobin/staticcheck"
		return 0
	fi
	echo "staticcheck: installing honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION into $gobin" >&2
	GOBIN=$gobin go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" >&2 || return 1
	echo "$gobin/staticcheck"
}

# ---------------------------------------------------------------- main

if ! $LINT_ONLY; then
	phase "postgres"
	setup_postgres
	phase "chromium"
	setup_chromium
fi

phase "packages"
go version
PKG_COUNT=$(go list "${PKG_LIST[@]}" 2>/dev/null | wc -l || true)
echo "packages: $PKG_COUNT in $(go list -m) (${PKG_LIST[*]})"

phase "gofmt"
run_gofmt

if ((PKG_COUNT == 0)) && [[ -z $(find . -name '*.go' -not -path './.git/*' -print -quit) ]]; then
	phase_end
	echo "test.sh: no Go packages yet: nothing to vet or test"
	exit 0
fi

phase "go vet"
go vet "${PKG_LIST[@]}"

phase "staticcheck"
if STATICCHECK=$(staticcheck_bin); then
	"$STATICCHECK" -version
	"$STATICCHECK" "${PKG_LIST[@]}"
else
	need "could not install staticcheck $STATICCHECK_VERSION"
fi

if $LINT_ONLY; then
	phase_end
	exit 0
fi

phase "go test"
# In a session of its own, waited for in the background, so that a signal to
# this script runs the cleanup at once and stops go test with its test
# binaries (see on_exit). Flags go after the packages: go test hands a flag it
# does not know, and all that follows it, to the test binaries.
if command -v setsid >/dev/null 2>&1; then
	setsid go test -count=1 -timeout 30m "${PKG_LIST[@]}" "$@" &
	GO_TEST_PID=$!
	wait "$GO_TEST_PID"
	GO_TEST_PID=""
else
	go test -count=1 -timeout 30m "${PKG_LIST[@]}" "$@"
fi

# Fuzzing (docs/security.md): every fuzz target of the decoders of outside input runs
# for FUZZTIME (default 8s) on top of its seed corpus, which go test above already
# ran. A crash fails the run and leaves the input in the package's testdata/fuzz, to
# be committed as a regression case once fixed. FUZZTIME=0 skips the phase; it is
# also skipped when PKGS or go test flags narrow the run.
FUZZTIME=${FUZZTIME:-8s}
if [[ $FUZZTIME != 0 && -z ${PKGS:-} && $# -eq 0 ]]; then
	phase "fuzz"
	# Go 1.26's fuzz coordinator can fail a target at the end of -fuzztime with a bare
	# "context deadline exceeded" and no input written (go.dev/issue/75804, fixed in Go
	# 1.27): that one signature, with no new file in testdata/fuzz, is run again once.
	# Any crash, or the same failure twice, fails the run.
	fuzz_one() {
		local pkg=$1 fn=$2 before after
		before=$(ls "$pkg/testdata/fuzz/$fn" 2>/dev/null | wc -l)
		out=$(go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1) && return 0
		after=$(ls "$pkg/testdata/fuzz/$fn" 2>/dev/null | wc -l)
		[[ $after == "$before" && $out == *"context deadline exceeded"* ]] || return 1
		echo "fuzz: $fn in $pkg stopped on the fuzz coordinator's deadline race (go.dev/issue/75804), no input written: once more"
		out=$(go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)
	}
	while IFS=: read -r file fn; do
		pkg=./$(dirname "$file")
		fuzz_one "$pkg" "$fn" || {
			printf '%s\n' "$out"
			echo "fuzz: $fn in $pkg FAILED: the input is in $pkg/testdata/fuzz/$fn" >&2
			exit 1
		}
		printf 'fuzz: %-22s %-18s ok\n' "$fn" "$pkg"
	done < <(grep -rHoE --include='*_test.go' --exclude-dir=.git --exclude-dir=testdata '^func Fuzz[A-Za-z0-9_]+' . |
		sed -E 's#^\./##; s#:func #:#' | sort)
fi
phase_end

# Sourced by the test scripts: how each reports what it checks, the same way in
# every log. fail stops the script (its EXIT trap cleans up).
step() { echo "== $*"; }
ok() { echo "   ok: $*"; }
note() { echo "   note: $*"; }
figure() { echo "   figure: $*"; }
fail() {
    echo "   FAIL: $*" >&2
    exit 1
}

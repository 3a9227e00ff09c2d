# Sourced by the scripts: installs what the local stack needs, once, into the repository.
# Sets ROOT, VENV, PY and EGRESS_BIN.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.local/venv"
PY="$VENV/bin/python"
EGRESS_BIN="$ROOT/target/debug/egress"

bootstrap_python() {
  local stamp="$VENV/.requirements"
  if [ -x "$PY" ] && cmp -s "$ROOT/scripts/requirements.txt" "$stamp"; then
    return 0
  fi
  echo "local stack: installing Python packages into .local/venv" >&2
  mkdir -p "$ROOT/.local"
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
  fi
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
  cp "$ROOT/scripts/requirements.txt" "$stamp"
}

bootstrap_binary() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "local stack: cargo is required (https://rustup.rs)" >&2
    return 1
  fi
  echo "local stack: building the egress binary (cargo build)" >&2
  (cd "$ROOT" && cargo build --quiet --locked -p egress)
}

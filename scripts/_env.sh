# Shared set-up for scripts/dev and scripts/test (sourced, not run).
# Creates .venv from the lock file with uv; bootstraps uv itself into .cache
# when it is not installed, so a fresh machine needs only Python 3.11+.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="0.13.9"
if command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
else
  UV="$ROOT/.cache/uv/bin/uv"
  if [ ! -x "$UV" ]; then
    echo "[setup] installing uv $UV_VERSION into .cache/uv (once)" >&2
    PY="$(command -v python3.11 || command -v python3)"
    "$PY" -m venv "$ROOT/.cache/uv"
    "$ROOT/.cache/uv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
fi
export UV_PYTHON_DOWNLOADS=never  # use the machine's Python; registries only
"$UV" sync --frozen --quiet
export PATH="$ROOT/.venv/bin:$PATH"

# Shared by scripts/serve and scripts/test: a virtualenv with the locked dependencies.
# Needs only python3 (3.11+) and the package registries; installs uv if it is missing.
set -euo pipefail
UV_VERSION=0.13.9
export UV_PYTHON_DOWNLOADS=never
ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    if [ ! -x .tools/bin/uv ]; then
      python3 -m venv .tools
      .tools/bin/pip install --quiet "uv==${UV_VERSION}"
    fi
    export PATH="$PWD/.tools/bin:$PATH"
  fi
}
ensure_venv() {
  ensure_uv
  uv sync --locked --quiet "$@"
}

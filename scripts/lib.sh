# Shared by the test scripts (sourced, not run): how they install what they need, in one
# place, so that every install is visible and `./scripts/test --no-install` can refuse them.
#
# What the tests install, and where:
#   - Debian packages (apt, as root or through sudo): build-essential, valgrind,
#     openjdk-17-jre-headless and -jdk-headless (the Java binding and client example), junit5
#     (the Java binding's tests), chromium, fonts-wqy-microhei, nodejs and npm when missing;
#     rustc-web, cargo-web, rust-web-src and lld only when rustup cannot add the wasm target;
#     python3-venv when the interpreter has no venv module.
#   - Cargo tools, into target/tools (this checkout): cbindgen and wasm-bindgen-cli at the
#     versions the header and Cargo.lock name.
#   - rustup: the components clippy and rustfmt, and the wasm32-unknown-unknown target.
#   - npm packages, into wasm/node_modules (this checkout), from wasm/package-lock.json.
#   - Python packages, into the virtual environment target/venv (this checkout), which sees
#     the interpreter's own packages too (--system-site-packages: nothing already installed
#     is fetched again): pytest, setuptools, wheel, pyarrow, pandas, polars, duckdb, pyspark
#     (and tomli before Python 3.11).
#
# HUIQI_NO_INSTALL=1 turns every install into an error naming what is missing.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# need_install WHAT COMMAND...: runs the install command, or, with HUIQI_NO_INSTALL set, stops
# and names what is missing.
need_install() {
  local what=$1
  shift
  if [ -n "${HUIQI_NO_INSTALL:-}" ]; then
    printf 'missing: %s (not installed: HUIQI_NO_INSTALL is set; ./scripts/test --no-install lists everything)\n' "$what" >&2
    exit 3
  fi
  printf 'installing %s\n' "$what" >&2
  "$@"
}

HUIQI_APT_UPDATED=${HUIQI_APT_UPDATED:-}
apt_install() {
  need_install "Debian packages: $*" true
  if [ -z "$HUIQI_APT_UPDATED" ]; then
    as_root apt-get update -qq
    HUIQI_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# python_env: the interpreter the Python tests use, target/venv/bin/python, created on
# first use (over the interpreter in $PYTHON, default python3). Sets PYTHON.
python_env() {
  local root base
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  base=${HUIQI_BASE_PYTHON:-python3}
  if ! [ -x "$root/target/venv/bin/python" ]; then
    if ! "$base" -c 'import venv, ensurepip' 2>/dev/null; then
      apt_install python3-venv
    fi
    need_install "a Python virtual environment at target/venv" "$base" -m venv --system-site-packages "$root/target/venv"
  fi
  PYTHON=$root/target/venv/bin/python
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
}

# pip_need MODULES -- PACKAGES...: installs PACKAGES into target/venv unless every module
# in MODULES (comma-separated) imports.
pip_need() {
  local modules=$1
  shift
  [ "$1" = "--" ] && shift
  "$PYTHON" -c "import $modules" 2>/dev/null && return 0
  need_install "Python packages into target/venv: $*" "$PYTHON" -m pip install --quiet "$@"
}

# The release build every script shares. Cargo unifies the features of dependencies over the
# packages a command selects, and builds a dependency again for each different set: the CLI
# alone after the CLI with the C library rebuilt Arrow, Parquet and the CLI (the ffi feature
# of arrow-*), and so did the Java binding alone; in a run from a clean clone that was
# several minutes on 2 cores. So every release build of the scripts selects the same
# packages, and after the first it is a no-op: the CLI, the C library, the Java binding's
# library, the WASM crate's native tools and the benchmarks (libraries and binaries).
RELEASE_PACKAGES=(-p huiqi-cli -p huiqi-ffi -p huiqi-jni -p huiqi-wasm -p huiqi-bench)
release_build() { cargo build --release "${RELEASE_PACKAGES[@]}" "$@"; }

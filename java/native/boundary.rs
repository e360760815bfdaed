//! The boundary every native crosses: `byte[]` in and out, failures thrown as
//! `io.huiqi.HuiqiException`, panics caught quietly.

use jni::errors::ErrorPolicy;
use jni::objects::JByteArray;
use jni::strings::JNIString;
use jni::{jni_str, Env, EnvUnowned};

use huiqi::ops::{failure, ErrorItem, ErrorKind, Errors};

/// Why a native did not answer: a failure envelope to throw, or a JNI error (then an
/// exception may already be pending, which wins).
pub(crate) enum Failure {
    Envelope(String),
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Failure {
        Failure::Jni(e)
    }
}

impl From<Errors> for Failure {
    fn from(errors: Errors) -> Failure {
        Failure::Envelope(failure(errors))
    }
}

impl From<ErrorItem> for Failure {
    fn from(item: ErrorItem) -> Failure {
        Failure::Envelope(failure(vec![item]))
    }
}

/// Throws `io.huiqi.HuiqiException` with the failure envelope, unless an exception is
/// pending already; the native then returns its default (0 or null), which Java never
/// sees.
struct Throw;

fn throw(env: &mut Env<'_>, envelope: &str) {
    if env.exception_check() {
        return;
    }
    // The constructor `HuiqiException(String envelope)` parses it. If even that fails
    // (the class is missing from the class path), JNI leaves its own error pending.
    let _ = env.throw_new(jni_str!("io/huiqi/HuiqiException"), JNIString::new(envelope));
}

impl<T: Default> ErrorPolicy<T, Failure> for Throw {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = &'static str;

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        name: &mut Self::Captures<'unowned_env_local, 'native_method>,
        err: Failure,
    ) -> jni::errors::Result<T> {
        let envelope = match err {
            Failure::Envelope(e) => e,
            Failure::Jni(jni::errors::Error::JavaException) => return Ok(T::default()),
            Failure::Jni(e) => failure(vec![ErrorItem::new(ErrorKind::Internal, format!("{name}: JNI call failed: {e}"))]),
        };
        throw(env, &envelope);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        name: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        throw(env, &failure(vec![internal(name, &*payload)]));
        Ok(T::default())
    }
}

fn internal(name: &str, payload: &(dyn std::any::Any + Send)) -> ErrorItem {
    let at = huiqi::guard::last_location().map(|l| format!(" (at {l})")).unwrap_or_default();
    ErrorItem::new(ErrorKind::Internal, format!("{name} panicked: {}{at}", huiqi::guard::panic_message(payload)))
}

/// Runs native `name`: `f` under `quietly` (a panic is an `internal` exception, nothing
/// printed), a [`Failure`] thrown as `HuiqiException`.
pub(crate) fn run<'local, T: Default>(
    unowned: &mut EnvUnowned<'local>,
    name: &'static str,
    f: impl FnOnce(&mut Env<'local>) -> Result<T, Failure>,
) -> T {
    unowned
        .with_env(|env| match huiqi::guard::quietly(|| f(env)) {
            Ok(result) => result,
            Err(payload) => Err(Failure::Envelope(failure(vec![internal(name, &*payload)]))),
        })
        .resolve_with::<Throw, _>(|| name)
}

/// The bytes of a `byte[]` argument as UTF-8 text; Java `null` is `None`.
pub(crate) fn text(env: &Env<'_>, array: &JByteArray<'_>, name: &str) -> Result<Option<String>, Failure> {
    if array.is_null() {
        return Ok(None);
    }
    let bytes = env.convert_byte_array(array)?;
    String::from_utf8(bytes).map(Some).map_err(|e| ErrorItem::request(name, format!("{name} is not valid UTF-8: {e}")).into())
}

/// A required `byte[]` argument as text.
pub(crate) fn required(env: &Env<'_>, array: &JByteArray<'_>, name: &str) -> Result<String, Failure> {
    text(env, array, name)?.ok_or_else(|| ErrorItem::request(name, format!("{name} is null")).into())
}

/// Text returned to Java as a `byte[]` of UTF-8.
pub(crate) fn bytes<'local>(env: &mut Env<'local>, s: &str) -> Result<JByteArray<'local>, Failure> {
    Ok(env.byte_array_from_slice(s.as_bytes())?)
}

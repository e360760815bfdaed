//! Huiqi's own files on disk: telling its binary files (store, saved set) apart from text
//! by their header tag — also when the tag is damaged or the file is cut short — and
//! writing every output atomically.
//!
//! A file is recognised by its first 8 bytes, never by its name. A tag that differs from
//! the expected one in a few bits is a damaged Huiqi file (an error saying so), not text
//! to be read as JSON lines; an empty file, or one that is a strict prefix of the tag, is
//! cut short. Outputs are written to a temporary file in the target's folder and renamed
//! over the target when complete, so a failed or killed run leaves the previous file as
//! it was (a rename within one folder is atomic on POSIX file systems and on NTFS).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What the first bytes of a file say about it, against an expected header tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// The tag, exactly.
    Exact,
    /// Eight bytes within a few bits of the tag: the file's header is damaged.
    Damaged,
    /// Fewer than eight bytes, all a prefix of the tag (or none at all).
    Short,
    /// Something else (text, another format).
    Other,
}

/// At most this many bits may differ for a header to count as a damaged tag (of 64). The
/// store's and the saved set's tags are 4 bits apart, so neither passes for the other.
const DAMAGED_BITS: u32 = 2;

/// Classifies the first bytes of a file (`head`: up to 8 bytes) against `magic`.
pub fn tag(head: &[u8], magic: &[u8; 8]) -> Tag {
    if head.len() < magic.len() {
        return if magic.starts_with(head) { Tag::Short } else { Tag::Other };
    }
    let bits: u32 = head.iter().zip(magic).map(|(a, b)| (a ^ b).count_ones()).sum();
    match bits {
        0 => Tag::Exact,
        b if b <= DAMAGED_BITS => Tag::Damaged,
        _ => Tag::Other,
    }
}

/// The first (up to) 8 bytes of a file.
pub fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = Vec::with_capacity(8);
    Read::by_ref(&mut f).take(8).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The first (up to) `n` bytes of a file.
pub fn head_n(path: &Path, n: u64) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    Read::by_ref(&mut f).take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// What a file of enterprises holds, judged by its first bytes rather than its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Starts with `PAR1`: Apache Parquet.
    Parquet,
    /// A NUL byte, or bytes that are not UTF-8: not a text format.
    Binary,
    /// Text whose first non-blank character is `{`.
    JsonLines,
    /// Other text (CSV when named `.csv` or when its first line has a comma).
    Text,
}

/// Sniffs `head` (the first bytes of a file; a UTF-8 character cut at its end is allowed).
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"PAR1") {
        return Sniffed::Parquet;
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A character cut by the end of the sample is still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default(),
        Err(_) => return Sniffed::Binary,
    };
    if text.contains('\0') {
        return Sniffed::Binary;
    }
    if text.trim_start_matches('\u{feff}').trim_start().starts_with('{') {
        Sniffed::JsonLines
    } else {
        Sniffed::Text
    }
}

/// Largest text file (policy file, schema, profile) read whole, in bytes.
pub const MAX_TEXT_FILE_BYTES: u64 = 64 << 20;

/// Reads a whole text file of at most [`MAX_TEXT_FILE_BYTES`]; the limit is checked while
/// reading (a device or a growing file cannot fill memory), and a leading byte-order mark
/// is kept for the parsers to skip.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(MAX_TEXT_FILE_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_TEXT_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB, the limit for a text file (docs/limits.md)", MAX_TEXT_FILE_BYTES >> 20),
        ));
    }
    String::from_utf8(buf).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Removes the temporary files of earlier writes of `name` in `dir` whose process is gone
/// (killed with -9 while writing: `.NAME.PID.N.tmp`). Liveness is read from `/proc`, so
/// this happens where there is one (Linux); elsewhere such files stay until removed by hand.
/// A process on another machine writing to a shared folder looks gone: do not share an
/// output folder between machines.
fn remove_stale(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    let own = std::process::id();
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)).and_then(|r| r.strip_suffix(".tmp")) else { continue };
        let Some((pid, n)) = rest.split_once('.') else { continue };
        let (Ok(pid), true) = (pid.parse::<u32>(), n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty()) else { continue };
        if pid != own && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A file being written: a temporary file next to the target, renamed over it by
/// [`AtomicFile::commit`]. Dropped without a commit, the temporary file is removed and the
/// target is untouched.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    /// Starts writing `target` (a temporary file in the same folder).
    pub fn create(target: &Path) -> std::io::Result<AtomicFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        remove_stale(&dir, &name);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => return Ok(AtomicFile { target: target.to_path_buf(), tmp, file: Some(std::io::BufWriter::new(f)) }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(mut self) -> std::io::Result<()> {
        let Some(w) = self.file.take() else { return Err(std::io::Error::other("already committed")) };
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, &self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn tags() {
        let m = b"HUIQISTR";
        assert_eq!(tag(m, m), Tag::Exact);
        assert_eq!(tag(b"HUIQISTS", m), Tag::Damaged);
        assert_eq!(tag(b"HUIQISET", m), Tag::Other, "the saved set's tag is not a damaged store tag");
        assert_eq!(tag(b"HUIQISTR", b"HUIQISET"), Tag::Other);
        assert_eq!(tag(b"HUI", m), Tag::Short);
        assert_eq!(tag(b"", m), Tag::Short);
        assert_eq!(tag(b"{\"id\": ", m), Tag::Other);
        assert_eq!(tag(b"{\"id\": \"x\"}", m), Tag::Other);
        assert_eq!(tag(b"id,regis", m), Tag::Other);
    }

    #[test]
    fn a_killed_writers_temporary_file_is_removed_by_the_next_write() {
        let dir = std::env::temp_dir().join(format!("huiqi-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        // A pid no process has (above Linux's pid_max of 2^22), one of this process (a
        // write in progress), and a file of another target.
        let dead = dir.join(".out.csv.4294967290.0.tmp");
        let live = dir.join(format!(".out.csv.{}.77.tmp", std::process::id()));
        let other = dir.join(".other.csv.4294967290.0.tmp");
        for f in [&dead, &live, &other] {
            std::fs::write(f, "partial").unwrap();
        }
        write_atomic(&target, b"done").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"done");
        assert_eq!(!dead.exists(), Path::new("/proc/self").exists(), "removed where /proc tells liveness");
        assert!(live.exists() && other.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_write_replaces_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("huiqi-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        std::fs::write(&target, "good").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
            // Dropped (as by an error) before the commit.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "good");
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

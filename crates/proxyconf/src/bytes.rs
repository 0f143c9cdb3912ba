//! A config file's bytes in memory. A big file is read into an anonymous mapping advised for
//! transparent huge pages: filling a fresh 1.7 MB heap buffer costs one page fault per 4 KiB
//! (about 420, half a millisecond, most of what a one-server edit pays to read its file), and a
//! huge page costs one. Where the kernel offers none, the mapping is plain memory.

use std::io::Read;

/// Files at least this big are read into a mapping; smaller ones into the heap.
const MAPPED_FROM: usize = 1 << 20;
/// The size of a huge page on x86-64 and arm64 with 4 KiB pages.
const HUGE_PAGE: usize = 2 << 20;

/// The bytes of one file, read once and never changed.
pub struct Bytes(Store);

enum Store {
    Heap(Vec<u8>),
    Mapped { map: memmap2::MmapMut, len: usize },
}

impl Bytes {
    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Store::Heap(v) => v,
            Store::Mapped { map, len } => &map[..*len],
        }
    }

    /// Reads `file` to its end, at most `limit` bytes plus one (so a caller sees that it grew past
    /// `limit`); `size` is what its metadata said.
    pub(crate) fn read(file: impl Read, size: usize, limit: u64) -> std::io::Result<Bytes> {
        if size >= MAPPED_FROM {
            if let Some(map) = huge_map(size) {
                return read_mapped(file, map, limit);
            }
        }
        let mut v = Vec::with_capacity(size);
        file.take(limit + 1).read_to_end(&mut v)?;
        Ok(Bytes(Store::Heap(v)))
    }
}

/// Room for `size` bytes and one more, rounded up to whole huge pages.
fn huge_map(size: usize) -> Option<memmap2::MmapMut> {
    let len = (size + 1).div_ceil(HUGE_PAGE) * HUGE_PAGE;
    let map = memmap2::MmapOptions::new().len(len).map_anon().ok()?;
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage); // only a hint: plain pages work as well
    Some(map)
}

fn read_mapped(
    mut file: impl Read,
    mut map: memmap2::MmapMut,
    limit: u64,
) -> std::io::Result<Bytes> {
    // Never past `limit` and one more byte, whatever the mapping's rounding left room for.
    let room = map.len().min(
        usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_add(1),
    );
    let mut len = 0;
    while len < room {
        match file.read(&mut map[len..room]) {
            Ok(0) => return Ok(Bytes(Store::Mapped { map, len })),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The file grew past the room it said it needed: go on in the heap.
    let mut v = map[..len].to_vec();
    file.take((limit + 1).saturating_sub(len as u64))
        .read_to_end(&mut v)?;
    Ok(Bytes(Store::Heap(v)))
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(Store::Heap(v))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_big_files_read_whole() {
        for size in [
            0,
            10,
            MAPPED_FROM - 1,
            MAPPED_FROM,
            HUGE_PAGE - 1,
            HUGE_PAGE,
            HUGE_PAGE + 7,
        ] {
            let data: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
            let b = Bytes::read(&data[..], size, 64 << 20).expect("reads");
            assert_eq!(b.as_slice(), &data[..], "{size}");
        }
    }

    #[test]
    fn a_file_that_grew_is_read_to_its_end_up_to_the_limit() {
        let data: Vec<u8> = (0..3 * HUGE_PAGE).map(|i| (i % 251) as u8).collect();
        // The metadata said MAPPED_FROM, the file holds three huge pages.
        let b = Bytes::read(&data[..], MAPPED_FROM, 64 << 20).expect("reads");
        assert_eq!(b.as_slice(), &data[..]);
        let capped = Bytes::read(&data[..], MAPPED_FROM, HUGE_PAGE as u64 * 2).expect("reads");
        assert_eq!(capped.len(), HUGE_PAGE * 2 + 1);
        // A limit inside the mapping's rounding: still at most one byte past it.
        let inside = Bytes::read(&data[..], MAPPED_FROM, MAPPED_FROM as u64 + 10).expect("reads");
        assert_eq!(inside.len(), MAPPED_FROM + 11);
    }
}

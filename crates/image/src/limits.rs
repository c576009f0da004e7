//! Bounds on what analysing one image may consume. Hostile images hit these and stop with a clear error
//! instead of exhausting memory or disk.

/// Limits for one image analysis. The defaults fit real images up to tens of GB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes over all layers (decompression bombs stop here).
    pub max_total_bytes: u64,
    /// Tar entries over all layers.
    pub max_files: u64,
    /// The largest file read into memory for a cataloger or a file visitor; larger files are skipped
    /// with a warning.
    pub max_file_size: u64,
    /// Longest path inside a layer, in bytes; longer entries are skipped with a warning.
    pub max_path_len: usize,
    /// Layers in one image.
    pub max_layers: usize,
    /// Symlinks followed while resolving one path inside the image.
    pub max_link_hops: usize,
    /// Entries kept in the list of deleted files of the image model.
    pub max_deleted_listed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 64 << 30,
            max_files: 4_000_000,
            max_file_size: 128 << 20,
            max_path_len: 4096,
            max_layers: 512,
            max_link_hops: 40,
            max_deleted_listed: 10_000,
        }
    }
}

impl Limits {
    /// Whether an analysis made under these limits goes into the shared analysis cache: only under
    /// the defaults, so an analysis that tighter limits cut short (files skipped as too large) never
    /// answers a later run.
    pub fn cacheable(&self) -> bool {
        *self == Limits::default()
    }

    /// Whether a cached analysis (made under the defaults) answers for these limits: when none of
    /// them is above its default, the cached analysis read at least what these would let a fresh
    /// one read, and answering from the cache reads no layer at all.
    pub fn answered_by_cache(&self) -> bool {
        let d = Limits::default();
        self.max_total_bytes <= d.max_total_bytes
            && self.max_files <= d.max_files
            && self.max_file_size <= d.max_file_size
            && self.max_path_len <= d.max_path_len
            && self.max_layers <= d.max_layers
            && self.max_link_hops <= d.max_link_hops
            && self.max_deleted_listed <= d.max_deleted_listed
    }
}

/// What is left of the [`Limits`] while layers are walked.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub(crate) bytes_left: u64,
    pub(crate) files_left: u64,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            bytes_left: limits.max_total_bytes,
            files_left: limits.max_files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn only_default_analyses_are_cached_and_only_raised_limits_skip_the_cache() {
        let d = Limits::default();
        assert!(d.cacheable() && d.answered_by_cache());
        let tight = Limits {
            max_file_size: 1024,
            ..Limits::default()
        };
        assert!(!tight.cacheable() && tight.answered_by_cache());
        let raised = Limits {
            max_files: d.max_files + 1,
            ..Limits::default()
        };
        assert!(!raised.cacheable() && !raised.answered_by_cache());
    }
}

//! Limits on what archives may make the host unpack and scan.

use std::sync::atomic::{AtomicU64, Ordering};

/// Configurable caps; each one hit becomes a recorded check.
#[derive(Clone, Debug)]
pub struct ArchiveLimits {
    /// How many archives deep members are still scanned (the file itself is depth 0).
    pub max_depth: u32,
    /// Members handed back per top-level file, all levels together.
    pub max_members: u64,
    /// Decompressed bytes of one member.
    pub max_member_bytes: u64,
    /// Decompressed bytes per top-level file, all members together.
    pub max_total_bytes: u64,
    /// Decompressed / compressed size above which a member is a bomb...
    pub max_ratio: u64,
    /// ...once it has produced at least this many bytes.
    pub ratio_floor_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_depth: 5,
            max_members: 10_000,
            max_member_bytes: 10 << 30,
            max_total_bytes: 10 << 30,
            max_ratio: 100,
            ratio_floor_bytes: 1 << 20,
        }
    }
}

/// Usage of the limits by one top-level file's scan, shared by its plugin runs.
#[derive(Debug, Default)]
pub struct Budget {
    members: AtomicU64,
    bytes: AtomicU64,
}

/// Why a member was cut off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    Members,
    MemberBytes,
    TotalBytes,
    Ratio,
}

impl Budget {
    /// Count one more member; `Err` once the count limit is passed.
    pub fn add_member(&self, limits: &ArchiveLimits) -> Result<(), LimitHit> {
        let n = self.members.fetch_add(1, Ordering::Relaxed) + 1;
        if n > limits.max_members {
            Err(LimitHit::Members)
        } else {
            Ok(())
        }
    }

    /// Account `more` bytes of a member that has produced `written` so far from
    /// `compressed` bytes; `Err` if that would cross a limit (nothing is then counted).
    pub fn add_bytes(
        &self,
        limits: &ArchiveLimits,
        written: u64,
        more: u64,
        compressed: Option<u64>,
    ) -> Result<(), LimitHit> {
        let after = written.saturating_add(more);
        if after > limits.max_member_bytes {
            return Err(LimitHit::MemberBytes);
        }
        if let Some(compressed) = compressed
            && after > limits.ratio_floor_bytes
            && after / compressed.max(1) > limits.max_ratio
        {
            return Err(LimitHit::Ratio);
        }
        let total = self
            .bytes
            .fetch_add(more, Ordering::Relaxed)
            .saturating_add(more);
        if total > limits.max_total_bytes {
            self.bytes.fetch_sub(more, Ordering::Relaxed);
            return Err(LimitHit::TotalBytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ArchiveLimits {
        ArchiveLimits {
            max_depth: 2,
            max_members: 2,
            max_member_bytes: 100,
            max_total_bytes: 150,
            max_ratio: 10,
            ratio_floor_bytes: 20,
        }
    }

    #[test]
    fn member_count_is_capped() {
        let (b, l) = (Budget::default(), small());
        assert_eq!(b.add_member(&l), Ok(()));
        assert_eq!(b.add_member(&l), Ok(()));
        assert_eq!(b.add_member(&l), Err(LimitHit::Members));
    }

    #[test]
    fn bytes_are_capped_per_member_and_in_total() {
        let (b, l) = (Budget::default(), small());
        assert_eq!(b.add_bytes(&l, 0, 101, None), Err(LimitHit::MemberBytes));
        assert_eq!(b.add_bytes(&l, 0, 100, None), Ok(()));
        assert_eq!(b.add_bytes(&l, 0, 60, None), Err(LimitHit::TotalBytes));
        assert_eq!(b.add_bytes(&l, 0, 50, None), Ok(()));
    }

    #[test]
    fn ratio_applies_above_the_floor_only() {
        let (b, l) = (Budget::default(), small());
        assert_eq!(b.add_bytes(&l, 0, 19, Some(1)), Ok(()));
        assert_eq!(b.add_bytes(&l, 19, 2, Some(1)), Err(LimitHit::Ratio));
        assert_eq!(b.add_bytes(&l, 0, 40, Some(4)), Ok(()));
    }
}

//! Where the bytes under scan come from: the host's input, or a byte slice in tests.

use cordon_plugin_sdk::{Input, ScanError};

/// Random access to the input, so the HDF5 reader fetches only the blocks it needs.
pub trait Source {
    fn size(&self) -> u64;
    /// Up to `len` bytes from `offset`: fewer only at the end of the input.
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ScanError>;
}

impl Source for Input<'_> {
    fn size(&self) -> u64 {
        Input::size(self)
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ScanError> {
        Input::read_at(self, offset, len)
    }
}

impl Source for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ScanError> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(len).min(self.len());
        Ok(self[start..end].to_vec())
    }
}

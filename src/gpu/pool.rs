//! A buffer pool keyed by (usage, power-of-two size class): buffers are
//! reused across chunks and batches instead of being created per dispatch.

use std::collections::HashMap;

/// Smallest buffer the pool hands out, bytes.
pub const MIN_CLASS: u64 = 256;

/// The size class of a request: the next power of two (at least
/// [`MIN_CLASS`]), clamped to `max` (rounded down to a multiple of 4) when
/// the power of two would exceed the device's `max_buffer_size`.
pub fn size_class(bytes: u64, max: u64) -> u64 {
    let class = bytes.max(MIN_CLASS).next_power_of_two();
    if class > max {
        (max & !3).max(bytes)
    } else {
        class
    }
}

/// Free buffers by (usage bits, size class).
#[derive(Default)]
pub struct BufferPool {
    free: HashMap<(u32, u64), Vec<wgpu::Buffer>>,
    created: u64,
}

impl BufferPool {
    /// A buffer of at least `bytes` with exactly `usage`: a pooled one if
    /// there is one, else a new one of the request's size class.
    pub fn acquire(
        &mut self,
        device: &wgpu::Device,
        usage: wgpu::BufferUsages,
        bytes: u64,
        max: u64,
        label: &str,
    ) -> wgpu::Buffer {
        let class = size_class(bytes, max);
        if let Some(b) = self.free.get_mut(&(usage.bits(), class)).and_then(Vec::pop) {
            return b;
        }
        self.created += 1;
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: class,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Gives a buffer back for reuse.
    pub fn release(&mut self, buffer: wgpu::Buffer) {
        let key = (buffer.usage().bits(), buffer.size());
        self.free.entry(key).or_default().push(buffer);
    }

    /// Buffers created so far (for tests and statistics).
    pub fn created(&self) -> u64 {
        self.created
    }

    /// Drops every pooled buffer.
    pub fn clear(&mut self) {
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(size_class(1, 1 << 30), 256);
        assert_eq!(size_class(256, 1 << 30), 256);
        assert_eq!(size_class(257, 1 << 30), 512);
        assert_eq!(size_class(3000, 1 << 30), 4096);
        // Clamped to the device maximum.
        assert_eq!(size_class(3000, 3001), 3000);
        assert_eq!(size_class(3000, 4000), 4000);
    }
}

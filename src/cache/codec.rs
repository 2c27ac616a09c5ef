//! Little-endian, length-prefixed fields: the bytes of a cache entry's payload. The reader
//! checks every length against what is left, so a damaged entry is an error, never a panic
//! or a huge allocation.

/// Why a payload could not be read: what was being read and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at payload byte {offset}: {message}")]
pub struct FieldError {
    pub what: String,
    pub offset: usize,
    pub message: String,
}

/// Appends fields to a byte vector.
#[derive(Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// A count or index (usize is 64 bits or less on every host egpu runs on).
    pub fn count(&mut self, value: usize) {
        self.u64(value as u64);
    }

    pub fn bytes(&mut self, value: &[u8]) {
        self.count(value.len());
        self.bytes.extend_from_slice(value);
    }

    pub fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }
}

/// Reads fields back in the order a [`Writer`] wrote them.
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, offset: 0 }
    }

    /// An error about `what` at the current position.
    pub fn error(&self, what: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            what: what.to_string(),
            offset: self.offset,
            message: message.into(),
        }
    }

    fn take(&mut self, what: &str, n: usize) -> Result<&'a [u8], FieldError> {
        let left = self.bytes.len() - self.offset;
        if n > left {
            return Err(self.error(what, format!("needs {n} bytes, {left} left")));
        }
        let taken = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(taken)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, FieldError> {
        Ok(self.take(what, 1)?[0])
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, FieldError> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(what, 8)?);
        Ok(u64::from_le_bytes(word))
    }

    /// A count or index; at most `limit`, so a damaged count cannot ask for more items than
    /// the payload could hold.
    pub fn bounded(&mut self, what: &str, limit: usize) -> Result<usize, FieldError> {
        let start = self.offset;
        let value = self.u64(what)?;
        match usize::try_from(value) {
            Ok(n) if n <= limit => Ok(n),
            _ => Err(FieldError {
                what: what.to_string(),
                offset: start,
                message: format!("{value} is more than {limit}"),
            }),
        }
    }

    /// A count of items that each take at least one byte: at most the bytes left.
    pub fn count(&mut self, what: &str) -> Result<usize, FieldError> {
        let left = self.bytes.len() - self.offset;
        self.bounded(what, left)
    }

    pub fn bytes(&mut self, what: &str) -> Result<&'a [u8], FieldError> {
        let n = self.count(what)?;
        self.take(what, n)
    }

    pub fn str(&mut self, what: &str) -> Result<&'a str, FieldError> {
        let start = self.offset;
        let bytes = self.bytes(what)?;
        std::str::from_utf8(bytes).map_err(|e| FieldError {
            what: what.to_string(),
            offset: start,
            message: format!("not UTF-8: {e}"),
        })
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), FieldError> {
        let left = self.bytes.len() - self.offset;
        if left == 0 {
            Ok(())
        } else {
            Err(self.error(
                "end of payload",
                format!("{left} bytes after the last field"),
            ))
        }
    }
}

//! The kernarg segment of one dispatch: buffers as 64-bit device addresses and scalars
//! by value, at the offsets the code object's metadata note gives (checked against it:
//! count, kinds and sizes), or naturally aligned in parameter order when the object has
//! no note; hidden arguments get the launch's block counts and group sizes, or zero —
//! the layout the emulator builds too, so both run the same code objects.

use crate::device::Arg;
use crate::emu::hidden_value;
use crate::emu::metadata::{Kind, Slot};
use egpu_ir::kernel::Launch;

/// One argument resolved for the segment: a buffer's device address or a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Address(u64),
    I32(i32),
    I64(i64),
}

impl Value {
    fn bytes(self) -> Vec<u8> {
        match self {
            Value::Address(a) => a.to_le_bytes().to_vec(),
            Value::I32(v) => v.to_le_bytes().to_vec(),
            Value::I64(v) => v.to_le_bytes().to_vec(),
        }
    }
}

fn put(seg: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    if seg.len() < offset + bytes.len() {
        seg.resize(offset + bytes.len(), 0);
    }
    seg[offset..offset + bytes.len()].copy_from_slice(bytes);
}

/// The segment for `args` (with `values`, the same arguments resolved), at least
/// `min_size` bytes; an error says which parameter does not fit.
pub fn segment(
    slots: Option<&[Slot]>,
    args: &[Arg],
    values: &[Value],
    launch: Launch,
    min_size: usize,
) -> Result<Vec<u8>, String> {
    let mut seg = vec![0u8; min_size];
    let Some(slots) = slots else {
        let mut end = 0usize;
        for value in values {
            let bytes = value.bytes();
            let at = end.next_multiple_of(bytes.len());
            put(&mut seg, at, &bytes);
            end = at + bytes.len();
        }
        return Ok(seg);
    };
    let explicit: Vec<&Slot> = slots
        .iter()
        .filter(|s| !matches!(s.kind, Kind::Hidden(_)))
        .collect();
    if explicit.len() != args.len() {
        return Err(format!(
            "{} parameters, {} arguments",
            explicit.len(),
            args.len()
        ));
    }
    for (i, ((slot, arg), value)) in explicit.iter().zip(args).zip(values).enumerate() {
        let bytes = value.bytes();
        let fits = match (&slot.kind, value) {
            (Kind::Buffer, Value::Address(_)) => slot.size == 8,
            (Kind::Value, Value::I32(_) | Value::I64(_)) => slot.size as usize == bytes.len(),
            _ => false,
        };
        if !fits {
            return Err(format!(
                "parameter {i} ({:?}, {} bytes) given {arg:?}",
                slot.kind, slot.size
            ));
        }
        put(&mut seg, slot.offset as usize, &bytes);
    }
    for slot in slots {
        if let Kind::Hidden(kind) = &slot.kind {
            let bytes = hidden_value(kind, launch).to_le_bytes();
            let n = (slot.size as usize).min(8);
            put(&mut seg, slot.offset as usize, &bytes[..n]);
        }
    }
    Ok(seg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::BufferId;

    fn slot(offset: u32, size: u32, kind: Kind) -> Slot {
        Slot { offset, size, kind }
    }

    #[test]
    fn arguments_land_where_the_metadata_says() {
        let slots = [
            slot(0, 8, Kind::Buffer),
            slot(8, 4, Kind::Value),
            slot(16, 8, Kind::Value),
            slot(24, 4, Kind::Hidden("hidden_block_count_x".into())),
        ];
        let args = [Arg::Buffer(BufferId(0)), Arg::I32(-2), Arg::I64(7)];
        let values = [
            Value::Address(0x1122_3344_5566_7788),
            Value::I32(-2),
            Value::I64(7),
        ];
        let seg = segment(Some(&slots), &args, &values, Launch::linear(5, 64), 16).unwrap();
        let mut want = vec![0u8; 28];
        want[..8].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        want[8..12].copy_from_slice(&(-2i32).to_le_bytes());
        want[16..24].copy_from_slice(&7i64.to_le_bytes());
        want[24..28].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(seg, want);

        // Wrong count, or a scalar of the wrong width, never reaches the GPU.
        let err = segment(
            Some(&slots),
            &args[..2],
            &values[..2],
            Launch::linear(1, 1),
            0,
        );
        assert_eq!(err, Err("3 parameters, 2 arguments".into()));
        let wide = [Arg::Buffer(BufferId(0)), Arg::I64(-2), Arg::I64(7)];
        let wide_values = [Value::Address(0), Value::I64(-2), Value::I64(7)];
        let err = segment(Some(&slots), &wide, &wide_values, Launch::linear(1, 1), 0);
        assert_eq!(
            err,
            Err("parameter 1 (Value, 4 bytes) given I64(-2)".into())
        );
    }

    #[test]
    fn without_metadata_arguments_are_naturally_aligned() {
        let args = [Arg::I32(1), Arg::Buffer(BufferId(3))];
        let values = [Value::I32(1), Value::Address(0xAB)];
        let seg = segment(None, &args, &values, Launch::linear(1, 1), 32).unwrap();
        let mut want = vec![0u8; 32];
        want[0] = 1;
        want[8] = 0xAB;
        assert_eq!(seg, want);
    }
}

//! Tensors to and from NumPy `.npy` files.
//!
//! Every egpu dtype maps to the NumPy dtype of the same name, except bf16, which NumPy lacks:
//! bf16 tensors are written as float32 (exactly) and read from float32 files (rounded to
//! nearest even).

use crate::bounded;
use egpu_ir::interp::{Data, Tensor};
use egpu_ir::{DType, Scalar, Shape};
use npyz::{TypeChar, WriterBuilder};
use std::io;
use std::path::Path;

/// A `.npy` file that could not be read or written, with the path and the reason.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    /// Reading failed or the file is larger than its limit (the error names the file).
    #[error(transparent)]
    Read(Box<bounded::ReadError>),
}

fn invalid(path: &Path, message: impl Into<String>) -> NpyError {
    NpyError::Invalid {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn io_error(path: &Path, source: io::Error) -> NpyError {
    NpyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The egpu dtype of a NumPy type, if there is one.
fn dtype_of(type_char: TypeChar, bytes: u64) -> Option<DType> {
    Some(match (type_char, bytes) {
        (TypeChar::Bool, 1) => DType::Bool,
        (TypeChar::Int, 1) => DType::I8,
        (TypeChar::Int, 2) => DType::I16,
        (TypeChar::Int, 4) => DType::I32,
        (TypeChar::Int, 8) => DType::I64,
        (TypeChar::Uint, 1) => DType::U8,
        (TypeChar::Uint, 2) => DType::U16,
        (TypeChar::Uint, 4) => DType::U32,
        (TypeChar::Uint, 8) => DType::U64,
        (TypeChar::Float, 2) => DType::F16,
        (TypeChar::Float, 4) => DType::F32,
        (TypeChar::Float, 8) => DType::F64,
        _ => return None,
    })
}

/// Bytes a `.npy` file may hold beyond its data: the magic, the version, the header length
/// and the header text. NumPy writes headers of at most a few hundred bytes (and its own
/// reader refuses ones over 10,000 bytes).
pub const HEADER_LIMIT: u64 = 64 * 1024;

/// Reads a `.npy` file of at most `limit` bytes as a tensor of the dtype stored in it; `what`
/// says whose limit it is when the file is larger. Data must follow the header exactly: a
/// truncated file and one with bytes after the array are both refused.
pub fn read(path: &Path, limit: u64, what: &str) -> Result<Tensor, NpyError> {
    let bytes = bounded::read_file(path, limit, what).map_err(|e| NpyError::Read(Box::new(e)))?;
    let mut data = &bytes[..];
    let header = npyz::NpyHeader::from_reader(&mut data)
        .map_err(|e| invalid(path, format!("not a valid .npy file ({})", shortened(&e))))?;
    let file = npyz::NpyFile::with_header(header, data);
    let npyz::DType::Plain(type_str) = file.dtype() else {
        return Err(invalid(
            path,
            "structured and array dtypes are not supported",
        ));
    };
    let Some(dtype) = dtype_of(type_str.type_char(), type_str.size_field()) else {
        return Err(invalid(
            path,
            format!("NumPy dtype '{type_str}' has no egpu equivalent"),
        ));
    };
    if file.order() == npyz::Order::Fortran && file.shape().len() > 1 {
        return Err(invalid(
            path,
            "Fortran-order arrays are not supported (save np.ascontiguousarray(a))",
        ));
    }
    let dims = file
        .shape()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| invalid(path, "dimension too large")))
        .collect::<Result<Vec<_>, _>>()?;
    let shape = Shape::new(dims).map_err(|m| invalid(path, m))?;
    check_data_length(path, &shape, type_str.size_field(), data.len())?;
    let data = read_data(file, dtype).map_err(|e| invalid(path, format!("corrupt data ({e})")))?;
    Tensor::new(dtype, shape, data).map_err(|e| invalid(path, e.to_string()))
}

/// A reader's error as echoed in a message: npyz quotes the whole header, which may be
/// 64 KiB of the user's bytes, so at most 200 characters are kept.
fn shortened(e: &io::Error) -> String {
    let text = e.to_string();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The header's shape and item size must account for every byte after the header.
fn check_data_length(
    path: &Path,
    shape: &Shape,
    item_bytes: u64,
    found: usize,
) -> Result<(), NpyError> {
    let expected = (shape.numel() as u64).saturating_mul(item_bytes);
    let found = found as u64;
    if found > expected {
        return Err(invalid(
            path,
            format!(
                "{} bytes of trailing data after the array ({shape} of {item_bytes}-byte items takes {expected} bytes)",
                found - expected
            ),
        ));
    }
    if found < expected {
        return Err(invalid(
            path,
            format!(
                "the file is truncated: its header promises {expected} bytes of data ({shape} of {item_bytes}-byte items), it holds {found}"
            ),
        ));
    }
    Ok(())
}

fn read_data(file: npyz::NpyFile<&[u8]>, dtype: DType) -> io::Result<Data> {
    let ints = |v: Vec<i128>| Ok(Data::Int(v));
    match dtype {
        DType::Bool => Ok(Data::Bool(file.into_vec::<bool>()?)),
        DType::I8 => ints(file.into_vec::<i8>()?.into_iter().map(i128::from).collect()),
        DType::I16 => ints(
            file.into_vec::<i16>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::I32 => ints(
            file.into_vec::<i32>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::I64 => ints(
            file.into_vec::<i64>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::U8 => ints(file.into_vec::<u8>()?.into_iter().map(i128::from).collect()),
        DType::U16 => ints(
            file.into_vec::<u16>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::U32 => ints(
            file.into_vec::<u32>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::U64 => ints(
            file.into_vec::<u64>()?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::F16 => Ok(Data::Float(
            file.into_vec::<half::f16>()?
                .into_iter()
                .map(f64::from)
                .collect(),
        )),
        DType::F32 => Ok(Data::Float(
            file.into_vec::<f32>()?.into_iter().map(f64::from).collect(),
        )),
        DType::F64 | DType::BF16 => Ok(Data::Float(file.into_vec::<f64>()?)),
    }
}

/// Reads a graph input: the file must hold exactly `dtype` and `shape` (a bf16 input is read
/// from a float32 file and rounded). The file may be at most the input's data plus
/// [`HEADER_LIMIT`] bytes, so a wrong path (`/dev/zero`, a huge file) fails before it fills
/// memory.
pub fn read_input(
    path: &Path,
    name: &str,
    dtype: DType,
    shape: &Shape,
) -> Result<Tensor, NpyError> {
    let stored = if dtype == DType::BF16 {
        DType::F32
    } else {
        dtype
    };
    let data_bytes = (shape.numel() as u64).saturating_mul(stored.size_bytes() as u64);
    let what = format!(
        "the limit for input '{name}' ({dtype}{shape}: {data_bytes} bytes of {} data plus at most {HEADER_LIMIT} bytes of header)",
        numpy_name(stored)
    );
    let tensor = read(path, data_bytes.saturating_add(HEADER_LIMIT), &what)?;
    if tensor.dtype != stored || tensor.shape != *shape {
        return Err(invalid(
            path,
            format!(
                "input '{name}' is {dtype}{shape} but the file holds {}{} (convert it with numpy: a.astype(np.{}).reshape({}))",
                tensor.dtype,
                tensor.shape,
                numpy_name(stored),
                shape_tuple(shape)
            ),
        ));
    }
    if dtype == DType::BF16 {
        let values = tensor.scalars().map(|s| s.cast(DType::BF16)).collect();
        return Tensor::from_scalars(DType::BF16, shape.clone(), values)
            .map_err(|e| invalid(path, e.to_string()));
    }
    Ok(tensor)
}

fn numpy_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool_",
        DType::I8 => "int8",
        DType::I16 => "int16",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::U8 => "uint8",
        DType::U16 => "uint16",
        DType::U32 => "uint32",
        DType::U64 => "uint64",
        DType::F16 => "float16",
        DType::BF16 | DType::F32 => "float32",
        DType::F64 => "float64",
    }
}

fn shape_tuple(shape: &Shape) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
}

/// Writes a tensor as a `.npy` file (bf16 as float32).
pub fn write(path: &Path, tensor: &Tensor) -> Result<(), NpyError> {
    let file = std::fs::File::create(path).map_err(|e| io_error(path, e))?;
    let mut out = io::BufWriter::new(file);
    let dims: Vec<u64> = tensor.shape.iter().map(|&d| d as u64).collect();
    let values: Vec<Scalar> = tensor.scalars().collect();
    let result = match tensor.dtype {
        DType::Bool => write_values(
            &mut out,
            &dims,
            values.iter().map(|s| matches!(s, Scalar::Bool(true))),
        ),
        DType::I8 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as i8)),
        DType::I16 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as i16)),
        DType::I32 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as i32)),
        DType::I64 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as i64)),
        DType::U8 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as u8)),
        DType::U16 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as u16)),
        DType::U32 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as u32)),
        DType::U64 => write_values(&mut out, &dims, values.iter().map(|s| int(s) as u64)),
        DType::F16 => write_values(
            &mut out,
            &dims,
            values.iter().map(|s| half::f16::from_f64(s.to_f64())),
        ),
        DType::BF16 | DType::F32 => {
            write_values(&mut out, &dims, values.iter().map(|s| s.to_f64() as f32))
        }
        DType::F64 => write_values(&mut out, &dims, values.iter().map(|s| s.to_f64())),
    };
    result.map_err(|e| io_error(path, e))
}

fn int(s: &Scalar) -> i128 {
    match *s {
        Scalar::Int(i) => i,
        Scalar::Bool(b) => i128::from(b),
        Scalar::Float(f) => f as i128,
    }
}

fn write_values<T, W>(out: &mut W, dims: &[u64], values: impl Iterator<Item = T>) -> io::Result<()>
where
    T: npyz::AutoSerialize,
    W: io::Write,
{
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(dims)
        .writer(out)
        .begin_nd()?;
    writer.extend(values)?;
    writer.finish()
}

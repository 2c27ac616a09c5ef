//! The HSA code object (v5) for gfx1100: an ELF shared object holding each kernel's machine
//! code, its 64-byte kernel descriptor and the msgpack metadata note, laid out as ld.lld-19
//! lays out what clang-19 compiles (see docs in [`elf`]). [`CodeObject::read`] finds each
//! kernel's descriptor and code again, for the emulator and for tests.

mod debug;
pub mod descriptor;
pub mod elf;
pub mod metadata;
mod read;

pub use descriptor::DescriptorFields;

/// What a kernel may do with a global buffer argument (metadata `.actual_access`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    WriteOnly,
    ReadWrite,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "read_only",
            Access::WriteOnly => "write_only",
            Access::ReadWrite => "read_write",
        }
    }
}

/// How an argument is passed in the kernarg segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A 64-bit global address (`global_buffer`), with its `.actual_access` when known.
    GlobalBuffer(Option<Access>),
    /// The value itself (`by_value`).
    ByValue,
}

/// One kernel argument as the metadata describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelArg {
    /// `.name`, optional in the metadata (clang omits it without `-cl-kernel-arg-info`).
    pub name: Option<String>,
    pub offset: u32,
    pub size: u32,
    pub kind: ArgKind,
}

/// What the descriptor and metadata say about a kernel's resources and launch state.
/// The kernarg segment pointer is the only user SGPR enabled (`s[0:1]`); see
/// [`KernelResources::user_sgpr_count`] for where the workgroup ids then arrive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelResources {
    /// Next free VGPR (the number of VGPRs used).
    pub vgpr_count: u32,
    /// Next free SGPR, not counting VCC.
    pub sgpr_count: u32,
    pub uses_vcc: bool,
    pub lds_bytes: u32,
    pub scratch_bytes_per_lane: u32,
    pub kernarg_size: u32,
    pub kernarg_align: u32,
    /// Workgroup id x, y, z delivered in SGPRs.
    pub workgroup_id: [bool; 3],
    /// Work-item id dimensions packed in v0: 1 (x), 2 (x, y) or 3 (x, y, z).
    pub workitem_id_dims: u8,
    pub max_flat_workgroup_size: u32,
}

/// One kernel to put in a code object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelCode {
    /// The symbol name; the descriptor is `NAME.kd`.
    pub name: String,
    /// Encoded machine code, ending in `s_endpgm` (or a branch that never falls through).
    pub code: Vec<u8>,
    pub resources: KernelResources,
    pub args: Vec<KernelArg>,
}

/// A kernel found in a code object by [`CodeObject::read`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadKernel {
    pub name: String,
    /// The bytes the `NAME` symbol covers.
    pub code: Vec<u8>,
    /// The raw descriptor and its decoded fields.
    pub descriptor_bytes: [u8; descriptor::DESCRIPTOR_SIZE],
    pub descriptor: DescriptorFields,
}

/// Errors writing or reading a code object.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    #[error("code object: no kernels to write")]
    NoKernels,
    #[error("code object: kernel {index} has an empty or unusable name {name:?}")]
    BadName { index: usize, name: String },
    #[error("code object: kernel name {0:?} appears twice")]
    DuplicateName(String),
    #[error("code object: kernel {kernel}: {what}")]
    Resource { kernel: String, what: &'static str },
    #[error("code object: kernel {kernel}: code is {len} bytes, not a whole number of dwords")]
    CodeLength { kernel: String, len: usize },
    #[error("code object: the object would exceed 4 GiB")]
    TooLarge,
    #[error("code object: the ELF writer refused: {0}")]
    Write(String),
    #[error("code object: {what}")]
    Malformed { what: String },
    #[error("code object: {0}")]
    Debug(#[from] crate::dwarf::DwarfError),
}

/// The HSA code object writer and reader.
pub struct CodeObject;

impl CodeObject {
    /// An ET_DYN HSA code object v5 for gfx1100 holding these kernels, byte-deterministic.
    pub fn write(kernels: &[KernelCode]) -> Result<Vec<u8>, ObjectError> {
        elf::write(kernels, None)
    }

    /// [`CodeObject::write`] plus DWARF (`.debug_line` and the units pointing at it, as
    /// non-allocated sections after `.dynamic`) mapping each kernel's instructions to lines
    /// of its `.kir` file; `lines[i]` is kernel `i`'s table, offsets from its entry.
    pub fn write_with_debug(
        kernels: &[KernelCode],
        lines: &[crate::dwarf::KernelLines],
    ) -> Result<Vec<u8>, ObjectError> {
        elf::write(kernels, Some(lines))
    }

    /// Every kernel (a `NAME.kd` descriptor symbol with its `NAME` code symbol) in a code
    /// object, in descriptor-symbol order. Malformed input is an error, never a panic.
    pub fn read(data: &[u8]) -> Result<Vec<ReadKernel>, ObjectError> {
        elf::read(data)
    }
}

//! The code object reader against the writer: read(write(k)) gives back each kernel's code
//! and descriptor fields; damaged objects are errors, never panics; bad input to the writer
//! is an error naming the kernel.

use egpu_codegen_amdgpu::object::{
    Access, ArgKind, CodeObject, DescriptorFields, KernelArg, KernelCode, KernelResources,
    ObjectError,
};
use proptest::prelude::*;

fn resources_strategy() -> impl Strategy<Value = KernelResources> {
    (
        (1u32..=256, 0u32..=104, any::<bool>()),
        (0u32..=65536, 0u32..=4096, 0u32..=4096),
        (any::<[bool; 3]>(), 1u8..=3, 1u32..=1024),
    )
        .prop_map(
            |((vgprs, sgprs, vcc), (lds, scratch, kernarg), (wg, dims, flat))| KernelResources {
                vgpr_count: vgprs,
                sgpr_count: sgprs,
                uses_vcc: vcc,
                lds_bytes: lds,
                scratch_bytes_per_lane: scratch,
                kernarg_size: kernarg,
                kernarg_align: 8,
                workgroup_id: wg,
                workitem_id_dims: dims,
                max_flat_workgroup_size: flat,
            },
        )
}

fn kernels_strategy() -> impl Strategy<Value = Vec<KernelCode>> {
    prop::collection::vec(
        (
            resources_strategy(),
            prop::collection::vec(any::<u32>(), 1..200),
        ),
        1..4,
    )
    .prop_map(|ks| {
        ks.into_iter()
            .enumerate()
            .map(|(i, (resources, words))| KernelCode {
                name: format!("k{i}"),
                code: words.iter().flat_map(|w| w.to_le_bytes()).collect(),
                resources,
                args: vec![KernelArg {
                    name: Some("p".into()),
                    offset: 0,
                    size: 8,
                    kind: ArgKind::GlobalBuffer(Some(Access::ReadWrite)),
                }],
            })
            .collect()
    })
}

fn one_kernel() -> Vec<KernelCode> {
    let code = [0xBF80_0000u32, 0xBFB0_0000]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let resources = KernelResources {
        vgpr_count: 3,
        sgpr_count: 16,
        uses_vcc: false,
        lds_bytes: 512,
        scratch_bytes_per_lane: 0,
        kernarg_size: 8,
        kernarg_align: 8,
        workgroup_id: [true, true, false],
        workitem_id_dims: 2,
        max_flat_workgroup_size: 256,
    };
    vec![KernelCode {
        name: "k".into(),
        code,
        resources,
        args: Vec::new(),
    }]
}

proptest! {
    #[test]
    fn read_gives_back_what_was_written(kernels in kernels_strategy()) {
        let bytes = CodeObject::write(&kernels).expect("valid kernels write");
        let read = CodeObject::read(&bytes).expect("our object reads");
        prop_assert_eq!(read.len(), kernels.len());
        for (k, r) in kernels.iter().zip(&read) {
            prop_assert_eq!(&r.name, &k.name);
            prop_assert_eq!(&r.code, &k.code);
            // Entry alignment and descriptor placement, as the loader needs them.
            prop_assert_eq!(r.descriptor.entry_offset.rem_euclid(64), 0);
            let d = r.descriptor;
            prop_assert_eq!(d, k.resources.descriptor_fields(d.entry_offset));
            // Independent of descriptor_fields: the granule rule and the 16-SGPR padding.
            prop_assert_eq!(d.vgpr_granules, k.resources.vgpr_count.div_ceil(8));
            let system = k.resources.workgroup_id.iter().filter(|&&b| b).count() as u32;
            prop_assert_eq!(d.user_sgpr_count + system, 16);
            prop_assert_eq!(d.group_segment_fixed_size, k.resources.lds_bytes);
            prop_assert_eq!(d.kernarg_size, k.resources.kernarg_size);
        }
    }

    #[test]
    fn truncated_objects_are_errors(cut in 0usize..2048) {
        let bytes = CodeObject::write(&one_kernel()).expect("write");
        let cut = cut.min(bytes.len() - 1);
        // Any outcome but a panic is acceptable; a cut inside the headers must fail.
        let result = CodeObject::read(&bytes[..cut]);
        if cut < 64 {
            prop_assert!(result.is_err());
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn corrupted_objects_do_not_panic(
        flips in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let mut bytes = CodeObject::write(&one_kernel()).expect("write");
        // Section headers (12 of 64 bytes) end the file; the ELF and program headers
        // start it. Most flips land in those, where the reader's bounds checks are tested.
        let len = bytes.len();
        for (region, at, value) in flips {
            let i = match region {
                0 => at.index(len),
                1 => at.index(0x200),
                _ => len - 1 - at.index(12 * 64),
            };
            bytes[i] = value;
        }
        let _ = CodeObject::read(&bytes);
    }
}

#[test]
fn entries_and_descriptors_are_aligned() {
    let mut kernels = one_kernel();
    let mut second = kernels[0].clone();
    second.name = "second".into();
    second.code.extend_from_slice(&[0; 300]);
    kernels.push(second);
    let bytes = CodeObject::write(&kernels).expect("write");
    let read = CodeObject::read(&bytes).expect("read");
    assert_eq!(read.len(), 2);
    // The second descriptor is 64 bytes after the first and its code 256 after the first's
    // (the first kernel is 8 bytes long).
    assert_eq!(
        read[1].descriptor.entry_offset - read[0].descriptor.entry_offset,
        256 - 64
    );
}

#[test]
fn writer_rejects_bad_input() {
    assert_eq!(CodeObject::write(&[]), Err(ObjectError::NoKernels));
    let mut k = one_kernel();
    k[0].code.push(0);
    assert!(matches!(
        CodeObject::write(&k),
        Err(ObjectError::CodeLength { len: 9, .. })
    ));
    let mut k = one_kernel();
    k.push(k[0].clone());
    assert_eq!(
        CodeObject::write(&k),
        Err(ObjectError::DuplicateName("k".into()))
    );
    let mut k = one_kernel();
    k[0].resources.vgpr_count = 257;
    assert!(matches!(
        CodeObject::write(&k),
        Err(ObjectError::Resource { .. })
    ));
    let mut k = one_kernel();
    k[0].resources.workitem_id_dims = 0;
    assert!(matches!(
        CodeObject::write(&k),
        Err(ObjectError::Resource { .. })
    ));
    let mut k = one_kernel();
    k[0].name = "x.kd".into();
    assert!(matches!(
        CodeObject::write(&k),
        Err(ObjectError::BadName { index: 0, .. })
    ));
}

#[test]
fn descriptor_encoder_rejects_unpackable_fields() {
    use egpu_codegen_amdgpu::object::descriptor::encode;
    let good = one_kernel()[0].resources.descriptor_fields(0);
    assert!(encode("k", &good).is_ok());
    for bad in [
        DescriptorFields {
            vgpr_granules: 0,
            ..good
        },
        DescriptorFields {
            vgpr_granules: 33,
            ..good
        },
        DescriptorFields {
            user_sgpr_count: 32,
            ..good
        },
        DescriptorFields {
            workitem_id_dims: 4,
            ..good
        },
    ] {
        assert!(
            matches!(encode("k", &bad), Err(ObjectError::Resource { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn reader_rejects_other_files() {
    assert!(CodeObject::read(b"").is_err());
    assert!(CodeObject::read(b"\x7fELF not really").is_err());
    let mut bytes = CodeObject::write(&one_kernel()).expect("write");
    bytes[18] = 62; // e_machine x86-64
    assert!(CodeObject::read(&bytes).is_err());
}

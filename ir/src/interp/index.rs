//! Walking the multi-indices of a shape in row-major order.

/// Calls `f` with every multi-index of `dims` in row-major order (the last axis fastest).
/// A scalar shape has one, empty, index; a shape with a zero dimension has none. One index
/// buffer is reused, so a walk allocates once rather than per element.
pub(super) fn for_each_index(dims: &[usize], mut f: impl FnMut(&[usize])) {
    if dims.contains(&0) {
        return;
    }
    let mut index = vec![0; dims.len()];
    loop {
        f(&index);
        if !advance(&mut index, dims) {
            return;
        }
    }
}

/// Steps `index` to the next row-major position; false once it wraps past the last one.
fn advance(index: &mut [usize], dims: &[usize]) -> bool {
    for axis in (0..dims.len()).rev() {
        index[axis] += 1;
        if index[axis] < dims[axis] {
            return true;
        }
        index[axis] = 0;
    }
    false
}

/// For every output multi-index of `dims` in row-major order, the flat source index that
/// `source` maps it to (`None`: no source, e.g. padding).
pub(super) fn source_indices(
    dims: &[usize],
    source: impl Fn(&[usize]) -> Option<usize>,
) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(dims.iter().product());
    for_each_index(dims, |index| out.push(source(index)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(dims: &[usize]) -> Vec<Vec<usize>> {
        let mut seen = Vec::new();
        for_each_index(dims, |i| seen.push(i.to_vec()));
        seen
    }

    #[test]
    fn walks_row_major() {
        let expected = vec![
            vec![0, 0],
            vec![0, 1],
            vec![0, 2],
            vec![1, 0],
            vec![1, 1],
            vec![1, 2],
        ];
        assert_eq!(walk(&[2, 3]), expected);
    }

    #[test]
    fn scalar_has_one_index_and_empty_shape_none() {
        assert_eq!(walk(&[]), vec![Vec::<usize>::new()]);
        assert!(walk(&[3, 0, 2]).is_empty());
    }
}

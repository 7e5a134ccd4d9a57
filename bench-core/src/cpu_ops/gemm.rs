//! Matrix products written straight into sieve's own buffers, with the `gemm` crate that
//! burn-flex's own matmul calls.
//!
//! burn-flex's matmul allocates every output as a zeroed `Vec<u8>` and then copies it into
//! a 16-byte-aligned buffer (`FlexTensor::empty` → `Bytes::from_bytes_vec`): for the
//! convolution's products, multi-megabyte outputs thrown away right after the reshuffle
//! that follows, that allocation, zeroing and copy were about a sixth of a ConvNet step
//! (`perf`, 2026-11-30). Here the product lands in a reused scratch buffer, and the
//! weight gradient accumulates chunk after chunk in place.
//!
//! The only `unsafe` in sieve: `gemm::gemm` takes raw pointers and strides. The safe
//! [`matmul_into`] checks every extent against the slices before the call.
#![allow(unsafe_code)]

/// A row-major `rows × cols` matrix, or (when `transposed`) the transpose of a row-major
/// `cols × rows` one; `rows` and `cols` are the operand's logical shape either way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> Operand<'a> {
    /// The row-major matrix `data` of `rows × cols`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            data.len() >= rows * cols,
            "gemm operand: {} values for a {rows}x{cols} matrix",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// This matrix transposed (a strided view, nothing is copied).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            transposed: !self.transposed,
            ..self
        }
    }

    /// (row stride, column stride) of the logical matrix in `data`.
    fn strides(&self) -> (isize, isize) {
        // A row-major r x c matrix has strides (c, 1). A transposed operand of logical
        // shape r x c is stored as c x r row-major: element (i, j) sits at j·r + i.
        if self.transposed {
            (1, self.rows as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// Products of at least this many multiply-adds run on rayon's threads (burn-flex's
/// threshold for the same call).
const PARALLEL_FROM: usize = 192 * 192 * 192;

/// `dst = a · b`, or `dst += a · b` when `accumulate`; `dst` is row-major
/// `a.rows × b.cols`. The sum over the inner dimension runs in the same order on any
/// number of threads (the threads split rows and columns of `dst`, never the sum).
pub(crate) fn matmul_into(dst: &mut [f32], a: Operand<'_>, b: Operand<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "gemm: inner dimensions {k} and {}", b.rows);
    assert_eq!(
        dst.len(),
        m * n,
        "gemm: output of {} for {m}x{n}",
        dst.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let parallelism = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_FROM {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: `Operand::new` checked that each operand's slice holds rows × cols values,
    // and the strides above address exactly elements 0..rows·cols of it; `dst` holds
    // m × n values addressed with strides (n, 1); `dst` is a unique borrow, so it cannot
    // alias the shared operands. gemm reads `dst` only when `accumulate`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        out
    }

    fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut out = vec![0.0; x.len()];
        for r in 0..rows {
            for c in 0..cols {
                out[c * rows + r] = x[r * cols + c];
            }
        }
        out
    }

    #[test]
    fn products_of_plain_and_transposed_operands_equal_the_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i % 11) as f32 - 4.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect();
        let want = naive(&a, &b, m, k, n);
        let (a_t, b_t) = (transpose(&a, m, k), transpose(&b, k, n));
        for (lhs, rhs) in [
            (Operand::new(&a, m, k), Operand::new(&b, k, n)),
            (Operand::new(&a_t, k, m).t(), Operand::new(&b, k, n)),
            (Operand::new(&a, m, k), Operand::new(&b_t, n, k).t()),
            (Operand::new(&a_t, k, m).t(), Operand::new(&b_t, n, k).t()),
        ] {
            let mut dst = vec![f32::NAN; m * n];
            matmul_into(&mut dst, lhs, rhs, false);
            assert_eq!(dst, want);
            // Accumulating adds a second product on top.
            matmul_into(&mut dst, lhs, rhs, true);
            let twice: Vec<f32> = want.iter().map(|v| 2.0 * v).collect();
            assert_eq!(dst, twice);
        }
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros_or_leaves_the_sum() {
        let mut dst = vec![3.0; 4];
        matmul_into(
            &mut dst,
            Operand::new(&[], 2, 0),
            Operand::new(&[], 0, 2),
            true,
        );
        assert_eq!(dst, vec![3.0; 4]);
        matmul_into(
            &mut dst,
            Operand::new(&[], 2, 0),
            Operand::new(&[], 0, 2),
            false,
        );
        assert_eq!(dst, vec![0.0; 4]);
    }

    #[test]
    #[should_panic(expected = "inner dimensions")]
    fn mismatched_shapes_are_refused_before_any_pointer_is_read() {
        let mut dst = vec![0.0; 4];
        matmul_into(
            &mut dst,
            Operand::new(&[0.0; 6], 2, 3),
            Operand::new(&[0.0; 4], 2, 2),
            false,
        );
    }
}

using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// The matrix product. Its kernel is the packed GEMM; its backward is the same op on transposed operands
    /// (dA = g Bᵀ, dB = Aᵀ g), which the GEMM reads in place, so no transpose is ever materialized.
    /// </summary>
    internal sealed class MatMulOp : OpDefinition
    {
        public override string Name => "matmul";

        public override OpNotation Notation { get; } =
            new("{0} @ {1}", ["(.) @ {1}^T", "{0}^T @ (.)"], ["{g} @ {1}^T", "{0}^T @ {g}"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                static Tensor R(ulong seed, params int[] shape) =>
                    Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);
                GradCheckCase Case(string variant, Func<Tensor[]> inputs) => new("op", Name, variant, inputs, x => x[0].MatMul(x[1]));
                yield return Case("(3, 4) @ (4, 2)", () => [R(20, 3, 4), R(21, 4, 2)]);
                yield return Case("(4,) @ (4, 3)", () => [R(22, 4), R(23, 4, 3)]);
                yield return Case("(2, 3, 4) @ (4, 2)", () => [R(24, 2, 3, 4), R(25, 4, 2)]);
                yield return Case("(2, 3, 4) @ (2, 4, 5)", () => [R(26, 2, 3, 4), R(27, 2, 4, 5)]);
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Matrix product with PyTorch's rules: 2-D @ 2-D; a 1-D operand is treated as a row (left) or column
        /// (right) vector and its dimension dropped from the result; leading (batch) dimensions broadcast.
        /// </summary>
        public static Tensor MatMul(Tensor a, Tensor b)
        {
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            if (a.Rank == 0 || b.Rank == 0)
                throw new TensorShapeException($"matmul: both operands need at least 1 dimension, got {Shapes.Format(a.shape)} and {Shapes.Format(b.shape)}.");
            if (a.DType != b.DType) ThrowDTypeMismatch("matmul", a, b);
            a.RequireFloat("matmul");
            int k = a.shape[^1], kb = b.Rank == 1 ? b.shape[0] : b.shape[^2];
            if (k != kb)
                throw new TensorShapeException(
                    $"matmul: shapes {Shapes.Format(a.shape)} and {Shapes.Format(b.shape)} are not aligned: " +
                    $"{k} (last dimension of the first) != {kb} ({(b.Rank == 1 ? "size" : "second-to-last dimension")} of the second).");

            // The row added to a is dimension -2 of the result, or -1 when b is 1-D too (its column was dropped): a dot product, 0-d.
            if (a.Rank == 1) return MatMul(a.Unsqueeze(0), b).Squeeze(b.Rank == 1 ? -1 : -2);
            if (b.Rank == 1) return MatMul(a, b.Unsqueeze(1)).Squeeze(-1);
            if (a.Rank == 2 && b.Rank == 2) return MatMulCore(a, b, false, false);
            if (b.Rank == 2)
            {
                // (..., m, k) @ (k, n): fold the batch into the rows, one GEMM.
                // The row count is spelled out: with k = 0, -1 would have nothing to infer it from.
                var rows = a.Reshape(Shapes.Count(a.shape.AsSpan(0, a.Rank - 1)), k);
                var outShape = (int[])a.shape.Clone();
                outShape[^1] = b.shape[1];
                return MatMulCore(rows, b, false, false).Reshape(outShape);
            }
            // Batched: broadcast the batch dimensions, then one GEMM per batch entry.
            var batch = Shapes.Broadcast(a.shape.AsSpan(0, a.Rank - 2), b.Rank > 2 ? b.shape.AsSpan(0, b.Rank - 2) : [], "matmul");
            int count = Shapes.Count(batch);
            var a3 = a.BroadcastTo([.. batch, a.shape[^2], k]).Reshape(count, a.shape[^2], k);
            var b3 = b.BroadcastTo([.. batch, kb, b.shape[^1]]).Reshape(count, kb, b.shape[^1]);
            return MatMulCore(a3, b3, false, false).Reshape([.. batch, a.shape[^2], b.shape[^1]]);
        }

        /// <summary>Matrix product of this tensor with <paramref name="other"/>; see <see cref="MatMul(Tensor, Tensor)"/>.</summary>
        public Tensor MatMul(Tensor other) => MatMul(this, other);

        /// <summary>
        /// op(A) @ op(B) for 2-D operands or 3-D operands with equal batch size, where op transposes the last
        /// two dimensions when its flag is set. Differentiable, with a backward made of the same op.
        /// </summary>
        internal static Tensor MatMulCore(Tensor a, Tensor b, bool transposeA, bool transposeB)
        {
            int batch = a.Rank == 3 ? a.shape[0] : 1;
            int m = transposeA ? a.shape[^1] : a.shape[^2];
            int k = transposeA ? a.shape[^2] : a.shape[^1];
            int n = transposeB ? b.shape[^2] : b.shape[^1];
            int[] outShape = a.Rank == 3 ? [batch, m, n] : [m, n];
            var result = Empty(outShape, a.DType, "matmul");
            Compiled.Recording.Launch((a, b, result, transposeA, transposeB, batch, m, n, k), static s =>
            {
                var (a, b, result, transposeA, transposeB, batch, m, n, k) = s;
                int lda = a.shape[^1], ldb = b.shape[^1];
                int aSize = a.shape[^1] * a.shape[^2], bSize = b.shape[^1] * b.shape[^2];
                if (k == 0)
                {
                    // An empty sum: every element is 0 (the GEMM needs a leading dimension of at least 1).
                    if (result.DType == DType.Float32) result.F32.AsSpan().Clear(); else result.F64.AsSpan().Clear();
                    return;
                }
                for (int i = 0; i < batch; i++)
                {
                    if (a.DType == DType.Float32)
                        Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a.F32.AsSpan(i * aSize, aSize), lda,
                            b.F32.AsSpan(i * bSize, bSize), ldb, result.F32.AsSpan(i * m * n, m * n), n);
                    else
                        Gemm.Multiply<double>(transposeA, transposeB, m, n, k, a.F64.AsSpan(i * aSize, aSize), lda,
                            b.F64.AsSpan(i * bSize, bSize), ldb, result.F64.AsSpan(i * m * n, m * n), n);
                }
            });
            return Autograd.Record(result, "matmul", [a, b], g => [
                a.RequiresGrad ? (transposeA ? MatMulCore(b, g, transposeB, true) : MatMulCore(g, b, false, !transposeB)) : null,
                b.RequiresGrad ? (transposeB ? MatMulCore(g, a, true, transposeA) : MatMulCore(a, g, !transposeA, false)) : null]);
        }
    }
}

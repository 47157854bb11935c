using System.Numerics;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>gather: y[p] = x[p with p[dim] = index[p]]; the gradient scatter-adds g back to the positions read.</summary>
    internal sealed class GatherOp : OpDefinition
    {
        public override string Name => "gather";

        public override OpNotation Notation { get; } = new("gather({0}, index)", ["1 at the gathered positions"], ["{g} scatter-added back"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("gather", "(3, 4) on 1, repeated indices", () => [ShapeCases.R(220, 3, 4)],
                    x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 0, 3, 1, 2, 2 }, [3, 2]))),
                ShapeCases.Case("gather", "(3, 4) on 0, a smaller index", () => [ShapeCases.R(221, 3, 4)],
                    x => x[0].Gather(0, Tensor.FromArray(new long[] { 2, 0, 1, 2, 1, 1 }, [2, 3]))),
            ];
    }

    /// <summary>scatter: x with src (or a value) written at the positions index names; x's gradient is g with those positions zeroed, src's is g gathered.</summary>
    internal sealed class ScatterOp : OpDefinition
    {
        public override string Name => "scatter";

        public override OpNotation Notation { get; } = new("scatter({0}, index, {1})", ["1 where not overwritten", "1 at the written positions"],
            ["{g} with the written positions zeroed", "{g} gathered"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("scatter", "(3, 5) on 1 from (3, 2)", () => [ShapeCases.R(222, 3, 5), ShapeCases.R(223, 3, 2)],
                    x => x[0].Scatter(1, Tensor.FromArray(new long[] { 4, 0, 1, 2, 3, 1 }, [3, 2]), x[1])),
            ];
    }

    /// <summary>scatter_add: x with src added at the positions index names; x's gradient is g, src's is g gathered.</summary>
    internal sealed class ScatterAddOp : OpDefinition
    {
        public override string Name => "scatter_add";

        public override OpNotation Notation { get; } = new("scatter_add({0}, index, {1})", ["1", "1 at the added positions"], ["{g}", "{g} gathered"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("scatter_add", "(4, 3) on 0 from (3, 3), repeated indices", () => [ShapeCases.R(224, 4, 3), ShapeCases.R(225, 3, 3)],
                    x => x[0].ScatterAdd(0, Tensor.FromArray(new long[] { 3, 0, 0, 3, 1, 2, 0, 0, 0 }, [3, 3]), x[1])),
                ShapeCases.Case("scatter_add", "(2, 4) on 1 from a larger (3, 5)", () => [ShapeCases.R(226, 2, 4), ShapeCases.R(227, 3, 5)],
                    x => x[0].ScatterAdd(1, Tensor.FromArray(new long[] { 1, 1, 3, 0, 2, 2 }, [2, 3]), x[1])),
            ];
    }

    /// <summary>
    /// Where gather and scatter read and write: for each element of the index (row-major), the offset in the indexed tensor
    /// without the indexed dimension, and the offset in the source. Shapes do not change between replays, so these are
    /// computed once when the op is made; only the index values are read by the kernels.
    /// </summary>
    internal sealed class IndexGeometry
    {
        public required int[] TargetOffsets { get; init; }
        public required int[] SourceOffsets { get; init; }
        public required int Stride { get; init; }
        public required int Size { get; init; }

        /// <summary>The geometry of <paramref name="op"/>(x, dim, index[, src]), checking ranks, dtypes and sizes as PyTorch does.</summary>
        public static IndexGeometry For(string op, Tensor x, int dim, Tensor index, Tensor? source)
        {
            ArgumentNullException.ThrowIfNull(index);
            if (index.DType != DType.Int64)
                throw new TensorShapeException($"{op}: the index must be int64, got {index.DType.Name()} of shape {Shapes.Format(index.Shape)}.", nameof(index));
            int d = Shapes.WrapDim(dim, x.Rank, op);
            int[] xShape = x.Rank == 0 ? [1] : x.ShapeArray;
            int[] indexShape = index.Rank == 0 ? [1] : index.ShapeArray;
            int[] sourceShape = source is null ? indexShape : source.Rank == 0 ? [1] : source.ShapeArray;
            if (Math.Max(index.Rank, 1) != xShape.Length || (source is not null && Math.Max(source.Rank, 1) != xShape.Length))
                throw new TensorShapeException(
                    $"{op}: the index {Shapes.Format(index.Shape)}{(source is null ? "" : $" and the source {Shapes.Format(source.Shape)}")} must have as many " +
                    $"dimensions as the tensor {Shapes.Format(x.Shape)}.", nameof(index));
            for (int k = 0; k < xShape.Length; k++)
            {
                if (k != d && indexShape[k] > xShape[k])
                    throw new TensorShapeException($"{op}: the index {Shapes.Format(index.Shape)} is larger than the tensor {Shapes.Format(x.Shape)} " +
                        $"in dimension {k} ({indexShape[k]} > {xShape[k]}); it may be larger only in dimension {dim}.", nameof(index));
                if (indexShape[k] > sourceShape[k])
                    throw new TensorShapeException($"{op}: the index {Shapes.Format(index.Shape)} is larger than the source {Shapes.Format(source!.Shape)} " +
                        $"in dimension {k} ({indexShape[k]} > {sourceShape[k]}).", nameof(index));
            }
            int count = index.Count;
            var targetOffsets = new int[count];
            var sourceOffsets = new int[count];
            int rank = indexShape.Length;
            Span<int> counter = stackalloc int[rank];
            counter.Clear();
            Span<int> xStrides = stackalloc int[rank];
            Span<int> sourceStrides = stackalloc int[rank];
            for (int k = rank - 1, xs = 1, ss = 1; k >= 0; k--)
            {
                (xStrides[k], sourceStrides[k]) = (xs, ss);
                xs *= xShape[k];
                ss *= sourceShape[k];
            }
            for (int p = 0; p < count; p++)
            {
                int target = 0, from = 0;
                for (int k = 0; k < rank; k++)
                {
                    if (k != d) target += counter[k] * xStrides[k];
                    from += counter[k] * sourceStrides[k];
                }
                (targetOffsets[p], sourceOffsets[p]) = (target, from);
                for (int k = rank - 1; k >= 0 && ++counter[k] == indexShape[k]; k--) counter[k] = 0;
            }
            return new IndexGeometry { TargetOffsets = targetOffsets, SourceOffsets = sourceOffsets, Stride = xStrides[d], Size = xShape[d] };
        }

        /// <summary>Checks that every index is in [0, size), as PyTorch's gather and scatter do (no negative indices).</summary>
        public static readonly Action<(Tensor Index, int Size, int Dim, string Op)> CheckRange = static s =>
        {
            var values = s.Index.I64;
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] >= 0 && values[i] < s.Size) continue;
                throw new TensorShapeException(
                    $"{s.Op}: index {values[i]} at position {i} is out of range for dimension {s.Dim} of size {s.Size} (expected 0 to {s.Size - 1}).", "index");
            }
        };

        public void Gather<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> index, Span<T> y)
        {
            for (int p = 0; p < y.Length; p++) y[p] = x[TargetOffsets[p] + (int)index[p] * Stride];
        }

        public void Scatter<T>(ReadOnlySpan<long> index, ReadOnlySpan<T> source, Span<T> y, bool add) where T : INumber<T>
        {
            for (int p = 0; p < index.Length; p++)
            {
                ref T target = ref y[TargetOffsets[p] + (int)index[p] * Stride];
                target = add ? target + source[SourceOffsets[p]] : source[SourceOffsets[p]];
            }
        }

        public void Fill<T>(ReadOnlySpan<long> index, T value, Span<T> y)
        {
            for (int p = 0; p < index.Length; p++) y[TargetOffsets[p] + (int)index[p] * Stride] = value;
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// PyTorch's <c>gather</c>: y[i][j] = x[index[i][j]][j] for dim 0 (x[i][index[i][j]] for dim 1), so y has the index's
        /// shape. The int64 index has as many dimensions as x, each no larger than x's except <paramref name="dim"/>, and
        /// values in [0, size of dim). The gradient scatter-adds g back.
        /// </summary>
        public Tensor Gather(int dim, Tensor index)
        {
            var geometry = Ops.IndexGeometry.For("gather", this, dim, index, null);
            int d = Shapes.WrapDim(dim, Rank, "gather");
            Compiled.Recording.Check(index, (index, geometry.Size, dim, "gather"), Ops.IndexGeometry.CheckRange);
            var result = Empty((int[])index.shape.Clone(), DType, "gather");
            Compiled.Recording.Launch((x: this, index, geometry, result), static s =>
            {
                switch (s.x.DType)
                {
                    case DType.Float32: s.geometry.Gather<float>(s.x.F32, s.index.I64, s.result.F32); break;
                    case DType.Float64: s.geometry.Gather<double>(s.x.F64, s.index.I64, s.result.F64); break;
                    default: s.geometry.Gather<long>(s.x.I64, s.index.I64, s.result.I64); break;
                }
            });
            var x = this;
            return Autograd.Record(result, "gather", [this], g => [Zeros(x.shape, g.DType).ScatterAdd(d, index, g)], SavedTensors.None);
        }

        /// <summary>
        /// PyTorch's out-of-place <c>scatter</c>: a copy of x with y[index[i][j]][j] = src[i][j] for dim 0. Where an index
        /// repeats, the last write wins (PyTorch leaves it unspecified). x's gradient is g with the written positions zeroed;
        /// src's is g gathered at the index, as in PyTorch.
        /// </summary>
        public Tensor Scatter(int dim, Tensor index, Tensor source)
        {
            ArgumentNullException.ThrowIfNull(source);
            return ScatterInto("scatter", dim, index, source, add: false);
        }

        /// <summary>A copy of x with <paramref name="value"/> written at the positions the index names (PyTorch's <c>scatter</c> with a value).</summary>
        public Tensor Scatter(int dim, Tensor index, double value)
        {
            var geometry = Ops.IndexGeometry.For("scatter", this, dim, index, null);
            int d = Shapes.WrapDim(dim, Rank, "scatter");
            Compiled.Recording.Check(index, (index, geometry.Size, dim, "scatter"), Ops.IndexGeometry.CheckRange);
            var result = Empty((int[])shape.Clone(), DType, "scatter");
            Compiled.Recording.Launch((x: this, index, geometry, result, value), static s =>
            {
                System.Array.Copy(s.x.Values, s.result.Values, s.result.Count);
                switch (s.x.DType)
                {
                    case DType.Float32: s.geometry.Fill(s.index.I64, (float)s.value, s.result.F32); break;
                    case DType.Float64: s.geometry.Fill(s.index.I64, s.value, s.result.F64); break;
                    default: s.geometry.Fill(s.index.I64, (long)s.value, s.result.I64); break;
                }
            });
            return Autograd.Record(result, "scatter", [this], g => [g.Scatter(d, index, 0.0)], SavedTensors.None);
        }

        /// <summary>
        /// PyTorch's out-of-place <c>scatter_add</c>: a copy of x with y[index[i][j]][j] += src[i][j] for dim 0, repeated
        /// indices adding up in order. x's gradient is g; src's is g gathered at the index.
        /// </summary>
        public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
        {
            ArgumentNullException.ThrowIfNull(source);
            return ScatterInto("scatter_add", dim, index, source, add: true);
        }

        private Tensor ScatterInto(string op, int dim, Tensor index, Tensor source, bool add)
        {
            if (source.DType != DType) ThrowDTypeMismatch(op, this, source);
            var geometry = Ops.IndexGeometry.For(op, this, dim, index, source);
            int d = Shapes.WrapDim(dim, Rank, op);
            Compiled.Recording.Check(index, (index, geometry.Size, dim, op), Ops.IndexGeometry.CheckRange);
            var result = Empty((int[])shape.Clone(), DType, op);
            Compiled.Recording.Launch((x: this, index, source, geometry, result, add), static s =>
            {
                System.Array.Copy(s.x.Values, s.result.Values, s.result.Count);
                switch (s.x.DType)
                {
                    case DType.Float32: s.geometry.Scatter<float>(s.index.I64, s.source.F32, s.result.F32, s.add); break;
                    case DType.Float64: s.geometry.Scatter<double>(s.index.I64, s.source.F64, s.result.F64, s.add); break;
                    default: s.geometry.Scatter<long>(s.index.I64, s.source.I64, s.result.I64, s.add); break;
                }
            });
            var src = source;
            return Autograd.Record(result, op, [this, source], g => [
                RequiresGrad ? (add ? g : g.Scatter(d, index, 0.0)) : null,
                src.RequiresGrad ? g.Gather(d, index).ZeroPadTo(src.shape) : null]);
        }

        /// <summary>This tensor followed by zeros up to <paramref name="target"/> in each dimension (a source larger than its index).</summary>
        private Tensor ZeroPadTo(int[] target)
        {
            var result = this;
            for (int k = 0; k < target.Length; k++)
            {
                if (result.shape[k] == target[k]) continue;
                var zeros = (int[])result.shape.Clone();
                zeros[k] = target[k] - result.shape[k];
                result = Concat([result, Zeros(zeros, DType)], k);
            }
            return result;
        }
    }
}

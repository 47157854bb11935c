using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>broadcast_to: a copy expanded by NumPy broadcasting; the gradient sums g back over the copies.</summary>
    internal sealed class BroadcastToOp : OpDefinition
    {
        public override string Name => "broadcast_to";

        public override OpNotation Notation { get; } = new("broadcast({0})", ["1 (values copied)"], ["{g} summed over the copies"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("broadcast_to", "(3, 1) to (2, 3, 4)", () => [ShapeCases.R(37, 3, 1)], x => x[0].BroadcastTo(2, 3, 4)),
                ShapeCases.Case("expand", "(3, 1) to (2, -1, 4)", () => [ShapeCases.R(205, 3, 1)], x => x[0].Expand(2, -1, 4)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>A copy expanded to <paramref name="target"/> by NumPy broadcasting. Its gradient sums back to this shape.</summary>
        public Tensor BroadcastTo(params int[] target)
        {
            ArgumentNullException.ThrowIfNull(target);
            var outShape = Shapes.Broadcast(shape, target, "broadcast_to");
            if (!Shapes.Equal(outShape, target))
                throw new TensorShapeException($"broadcast_to: shape {Shapes.Format(shape)} cannot be broadcast to {Shapes.Format(target)}.", nameof(target));
            if (Shapes.Equal(shape, target)) return this;
            var result = Empty((int[])target.Clone(), DType, "broadcast_to");
            Compiled.Recording.Launch((x: this, result), static s =>
            {
                var (x, result) = s;
                // The second operand is an unused 0-d zero, on the stack.
                switch (x.DType)
                {
                    case DType.Float32: Broadcasting.Run<float, CopyKernel>(x.F32, x.shape, stackalloc float[1], [], result.F32, result.shape); break;
                    case DType.Float64: Broadcasting.Run<double, CopyKernel>(x.F64, x.shape, stackalloc double[1], [], result.F64, result.shape); break;
                    default: Broadcasting.Run<long, CopyKernel>(x.I64, x.shape, stackalloc long[1], [], result.I64, result.shape); break;
                }
            });
            var x = this;
            return Autograd.Record(result, "broadcast_to", [this], g => [g.SumTo(x.shape)], SavedTensors.None);
        }

        /// <summary>
        /// PyTorch's <c>expand</c>: <see cref="BroadcastTo"/> where a size of -1 keeps this tensor's size of that dimension
        /// (new leading dimensions cannot be -1). A copy, where PyTorch returns a view.
        /// </summary>
        public Tensor Expand(params int[] sizes)
        {
            ArgumentNullException.ThrowIfNull(sizes);
            if (sizes.Length < Rank)
                throw new TensorShapeException(
                    $"expand: {sizes.Length} sizes given for a tensor of shape {Shapes.Format(shape)}; give at least {Rank}.", nameof(sizes));
            var target = (int[])sizes.Clone();
            int lead = sizes.Length - Rank;
            for (int i = 0; i < target.Length; i++)
            {
                if (target[i] != -1) continue;
                if (i < lead)
                    throw new TensorShapeException($"expand: -1 is not allowed for the new leading dimension {i} in {Shapes.Format(sizes)}.", nameof(sizes));
                target[i] = shape[i - lead];
            }
            foreach (int size in target)
                if (size < 0) throw new TensorShapeException($"expand: invalid size {size} in {Shapes.Format(sizes)}.", nameof(sizes));
            try
            {
                return BroadcastTo(target);
            }
            catch (TensorShapeException e)
            {
                throw new TensorShapeException($"expand: shape {Shapes.Format(shape)} cannot be expanded to {Shapes.Format(sizes)} " +
                    "(each size must equal this tensor's, or this tensor's must be 1).", e);
            }
        }
    }
}

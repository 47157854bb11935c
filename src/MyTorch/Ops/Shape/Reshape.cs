using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// reshape: the same elements with a new shape, a view of the input's storage; flatten, unsqueeze and squeeze are
    /// reshapes. The gradient is g reshaped back.
    /// </summary>
    internal sealed class ReshapeOp : OpDefinition
    {
        public override string Name => "reshape";

        public override OpNotation Notation { get; } = new("reshape({0})", ["1 (same values, new shape)"], ["{g} reshaped back"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                yield return ShapeCases.Case("reshape", "(3, 4) to (2, 6)", () => [ShapeCases.R(33, 3, 4)], x => x[0].Reshape(2, 6));
                yield return ShapeCases.Case("flatten", "(2, 3, 4) from dimension 1", () => [ShapeCases.R(34, 2, 3, 4)], x => x[0].Flatten(1));
                yield return ShapeCases.Case("unsqueeze", "(3, 4) at 1", () => [ShapeCases.R(35, 3, 4)], x => x[0].Unsqueeze(1));
                yield return ShapeCases.Case("squeeze", "(3, 1, 4) at 1", () => [ShapeCases.R(36, 3, 1, 4)], x => x[0].Squeeze(1));
                yield return ShapeCases.Case("squeeze", "(1, 3, 1, 4), every size-1 dimension", () => [ShapeCases.R(203, 1, 3, 1, 4)], x => x[0].Squeeze());
            }
        }
    }

    /// <summary>The seeded float64 inputs and the case constructor the shape ops' gradient checks share.</summary>
    internal static class ShapeCases
    {
        /// <summary>Uniform values in [-1, 1) that require grad.</summary>
        public static Tensor R(ulong seed, params int[] shape) =>
            Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        /// <summary>A gradient-check case of the op <paramref name="name"/>.</summary>
        public static GradCheckCase Case(string name, string variant, Func<Tensor[]> inputs, Func<Tensor[], Tensor> function) =>
            new("op", name, variant, inputs, function);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The same elements with a new shape (one size may be -1, inferred). Shares storage with this tensor.
        /// </summary>
        public Tensor Reshape(params int[] newShape)
        {
            ArgumentNullException.ThrowIfNull(newShape);
            var resolved = (int[])newShape.Clone();
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < resolved.Length; i++)
            {
                if (resolved[i] == -1)
                {
                    if (inferred >= 0)
                        throw new TensorShapeException($"reshape: only one size can be -1, got {Shapes.Format(newShape)}.", nameof(newShape));
                    inferred = i;
                }
                else if (resolved[i] < 0)
                {
                    throw new TensorShapeException($"reshape: invalid size {resolved[i]} in {Shapes.Format(newShape)}.", nameof(newShape));
                }
                else
                {
                    known *= resolved[i];
                }
            }
            if (inferred >= 0)
            {
                if (known == 0 || Count % known != 0) ThrowReshape(newShape);
                resolved[inferred] = (int)(Count / known);
            }
            else if (known != Count)
            {
                ThrowReshape(newShape);
            }
            var result = AsView(resolved);
            var x = this;
            return Autograd.Record(result, "reshape", [this], g => [g.Reshape(x.shape)], SavedTensors.None);
        }

        private void ThrowReshape(int[] newShape) =>
            throw new TensorShapeException(
                $"reshape: cannot view shape {Shapes.Format(shape)} ({Count} elements) as {Shapes.Format(newShape)}.", nameof(newShape));

        /// <summary>All dimensions from <paramref name="startDim"/> on merged into one (a 1-D tensor by default).</summary>
        public Tensor Flatten(int startDim = 0)
        {
            if (Rank == 0) return Reshape(1);
            startDim = Shapes.WrapDim(startDim, Rank, "flatten");
            var newShape = new int[startDim + 1];
            Array.Copy(shape, newShape, startDim);
            newShape[startDim] = -1;
            return Count == 0 ? Reshape(Flat(startDim)) : Reshape(newShape);
        }

        private int[] Flat(int startDim)
        {
            var newShape = new int[startDim + 1];
            Array.Copy(shape, newShape, startDim);
            int tail = 1;
            for (int d = startDim; d < Rank; d++) tail *= shape[d];
            newShape[startDim] = tail;
            return newShape;
        }

        /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
        public Tensor Unsqueeze(int dim)
        {
            int wrapped = dim < 0 ? dim + Rank + 1 : dim;
            if (wrapped < 0 || wrapped > Rank) Shapes.ThrowBadDim("unsqueeze", dim, Rank + 1);
            var newShape = new List<int>(shape);
            newShape.Insert(wrapped, 1);
            return Reshape(newShape.ToArray());
        }

        /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (otherwise returns the tensor unchanged, as PyTorch does).</summary>
        public Tensor Squeeze(int dim)
        {
            if (Rank == 0) return this;
            int wrapped = Shapes.WrapDim(dim, Rank, "squeeze");
            if (shape[wrapped] != 1) return this;
            var newShape = new List<int>(shape);
            newShape.RemoveAt(wrapped);
            return Reshape(newShape.ToArray());
        }

        /// <summary>Every dimension of size 1 removed, as PyTorch's <c>squeeze()</c> (a 0-d tensor for a tensor of one element).</summary>
        public Tensor Squeeze()
        {
            var newShape = new List<int>(Rank);
            foreach (int size in shape)
                if (size != 1) newShape.Add(size);
            return newShape.Count == Rank ? this : Reshape(newShape.ToArray());
        }
    }
}

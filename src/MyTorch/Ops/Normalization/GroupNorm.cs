using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// PyTorch's <c>F.group_norm</c>: each image's channels split into groups, each group normalized by its own mean and
    /// biased variance over its channels and positions, then a per-channel weight and bias. Written as reshape, mean,
    /// variance and element-wise ops, so its gradient, double backward and the recorded fast path are those ops'.
    /// </summary>
    internal sealed class GroupNormOp : OpDefinition
    {
        public const string OpName = "group_norm";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("group_norm({0}) * {1} + {2}",
            ["the group normalization's Jacobian", "the normalized input", "1"], ["{g} through the group normalization", "sum of {g} * normalized per channel", "sum of {g} per channel"], false);

        private static Tensor R(ulong seed, double low, double high, params int[] shape) => Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "(3, 4, 2, 3), 2 groups, affine", () => [R(495, -1, 1, 3, 4, 2, 3), R(496, 0.5, 1.5, 4), R(497, -0.5, 0.5, 4)],
                t => t[0].GroupNorm(2, t[1], t[2])),
            new("op", OpName, "(2, 6, 5), 3 groups, no affine", () => [R(498, -1, 1, 2, 6, 5)], t => t[0].GroupNorm(3)),
        ];

        public static Tensor Apply(string who, Tensor x, int groups, Tensor? weight, Tensor? bias, double eps)
        {
            if (x.Rank < 2)
                throw new TensorShapeException($"{who}: expected an input (batch, channels, ...) with at least 2 dimensions, got shape {Shapes.Format(x.Shape)}.");
            if (!x.DType.IsFloatingPoint()) throw new TensorShapeException($"{who}: expected a float32 or float64 input, got {x.DType.Name()}.");
            if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{who}: num_groups must be positive.");
            int n = x.Shape[0], c = x.Shape[1];
            if (c % groups != 0)
                throw new TensorShapeException($"{who}: input of shape {Shapes.Format(x.Shape)} has {c} channels, not divisible by num_groups {groups}.");
            foreach (var p in new[] { weight, bias })
                if (p is not null && (p.Rank != 1 || p.Shape[0] != c))
                    throw new TensorShapeException($"{who}: expected a weight and bias of shape ({c},) for input of shape {Shapes.Format(x.Shape)}, got {Shapes.Format(p.Shape)}.");
            if (x.Count == 0) return x.Clone();
            var grouped = x.Reshape(n, groups, -1);
            var centered = grouped - grouped.Mean(-1, keepDim: true);
            var variance = (centered * centered).Mean(-1, keepDim: true);
            var y = (centered / (variance + eps).Sqrt()).Reshape(x.ShapeArray);
            if (weight is null && bias is null) return y;
            int[] channelShape = [c, .. Enumerable.Repeat(1, x.Rank - 2)];
            if (weight is not null) y = y * weight.Reshape(channelShape);
            if (bias is not null) y = y + bias.Reshape(channelShape);
            return y;
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Group normalization of this (N, C, ...) input, PyTorch's <c>F.group_norm</c>: the C channels of each image are
        /// split into <paramref name="numGroups"/> groups, each normalized by its mean and biased variance over its channels
        /// and positions, then multiplied by <paramref name="weight"/> and shifted by <paramref name="bias"/> per channel.
        /// </summary>
        /// <param name="numGroups">The number of groups; must divide C.</param>
        /// <param name="weight">(C,) scale, or null for none.</param>
        /// <param name="bias">(C,) shift, or null for none.</param>
        /// <param name="eps">Added to the variance; 1e-5 as PyTorch's.</param>
        /// <exception cref="TensorShapeException">The rank is below 2, C is not divisible by the groups, or a parameter's shape is not (C,).</exception>
        public Tensor GroupNorm(int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
            Ops.GroupNormOp.Apply("group_norm", this, numGroups, weight, bias, eps);
    }
}

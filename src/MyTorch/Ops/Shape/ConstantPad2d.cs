using System.Globalization;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// PyTorch's <c>F.pad(x, (left, right, top, bottom), value=v)</c> on the last two dimensions: a negative amount crops.
    /// Written as narrow and concat with constant blocks, so its gradient (the middle of g), double backward and the
    /// recorded fast path are those ops'.
    /// </summary>
    internal sealed class ConstantPad2dOp : OpDefinition
    {
        public const string OpName = "constant_pad2d";

        public override string Name => OpName;

        public override OpNotation Notation { get; } = new("pad({0})", ["1 inside, 0 on the padding"], ["{g} without its padding"], false);

        private static Tensor R(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            new("op", OpName, "(2, 2, 3, 4) by (1, 2, 0, 3), value 0.5", () => [R(490, 2, 2, 3, 4)], t => t[0].ConstantPad2d(new Padding4(1, 2, 0, 3), 0.5)),
            new("op", OpName, "(1, 3, 4, 5) by (-1, 2, 1, -2): negative crops", () => [R(491, 1, 3, 4, 5)], t => t[0].ConstantPad2d(new Padding4(-1, 2, 1, -2), 0)),
        ];

        /// <summary>Pads (or crops) dimension <paramref name="dim"/> of <paramref name="x"/> by <paramref name="before"/> and <paramref name="after"/>.</summary>
        public static Tensor Axis(Tensor x, int dim, int before, int after, double value)
        {
            if (before < 0 || after < 0)
            {
                int start = Math.Max(-before, 0);
                x = x.Narrow(dim, start, x.Shape[dim] - start - Math.Max(-after, 0));
            }
            if (before <= 0 && after <= 0) return x;
            var pieces = new List<Tensor>(3);
            if (before > 0) pieces.Add(Block(x, dim, before, value));
            pieces.Add(x);
            if (after > 0) pieces.Add(Block(x, dim, after, value));
            return Tensor.Concat(pieces, dim);
        }

        private static Tensor Block(Tensor x, int dim, int size, double value)
        {
            var shape = x.ShapeArray.ToArray();
            shape[dim] = size;
            return Tensor.Full(shape, value, x.DType);
        }
    }
}

namespace MyTorch
{
    /// <summary>
    /// Padding of the last two dimensions, PyTorch's <c>(left, right, top, bottom)</c> (an int is the same on all four sides);
    /// a negative amount crops.
    /// </summary>
    /// <param name="Left">Columns added before the first.</param>
    /// <param name="Right">Columns added after the last.</param>
    /// <param name="Top">Rows added before the first.</param>
    /// <param name="Bottom">Rows added after the last.</param>
    public readonly record struct Padding4(int Left, int Right, int Top, int Bottom)
    {
        /// <summary>The same amount on all four sides.</summary>
        public static implicit operator Padding4(int padding) => new(padding, padding, padding, padding);

        /// <summary>(left, right, top, bottom).</summary>
        public static implicit operator Padding4((int Left, int Right, int Top, int Bottom) padding) => new(padding.Left, padding.Right, padding.Top, padding.Bottom);

        /// <summary>The same amount on all four sides.</summary>
        public static Padding4 FromInt32(int padding) => new(padding, padding, padding, padding);

        /// <summary>(left, right, top, bottom).</summary>
        public static Padding4 FromValueTuple((int Left, int Right, int Top, int Bottom) padding) => new(padding.Left, padding.Right, padding.Top, padding.Bottom);

        /// <summary>PyTorch's repr: <c>(1, 1, 2, 0)</c>.</summary>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Left}, {Right}, {Top}, {Bottom})");
    }

    public sealed partial class Tensor
    {
        /// <summary>
        /// Pads the last two dimensions (width, then height) of this tensor of rank 2 or more with <paramref name="value"/>,
        /// PyTorch's <c>F.pad(x, (left, right, top, bottom), value=value)</c>; negative amounts crop.
        /// </summary>
        /// <param name="padding">(left, right, top, bottom), or one int for all four.</param>
        /// <param name="value">The constant the new elements hold.</param>
        /// <exception cref="TensorShapeException">The rank is below 2, or cropping leaves a dimension with less than one element.</exception>
        public Tensor ConstantPad2d(Padding4 padding, double value = 0) => ConstantPad2dCore("constant_pad2d", padding, value);

        internal Tensor ConstantPad2dCore(string who, Padding4 padding, double value)
        {
            if (Rank < 2)
                throw new TensorShapeException($"{who}: expected an input with at least 2 dimensions (height, width), got shape {Shapes.Format(Shape)}.");
            int h = shape[^2], w = shape[^1];
            int outH = h + padding.Top + padding.Bottom, outW = w + padding.Left + padding.Right;
            bool cropsTooMuch = (padding.Top < 0 || padding.Bottom < 0) && h + Math.Min(padding.Top, 0) + Math.Min(padding.Bottom, 0) < 0
                || (padding.Left < 0 || padding.Right < 0) && w + Math.Min(padding.Left, 0) + Math.Min(padding.Right, 0) < 0;
            if (outH < 1 || outW < 1 || cropsTooMuch)
                throw new TensorShapeException(
                    $"{who}: input of shape {Shapes.Format(Shape)} padded by {padding} gives ({outH}, {outW}): the smallest input size that works is " +
                    $"({Math.Max(1 - padding.Top - padding.Bottom, -Math.Min(padding.Top, 0) - Math.Min(padding.Bottom, 0))}, " +
                    $"{Math.Max(1 - padding.Left - padding.Right, -Math.Min(padding.Left, 0) - Math.Min(padding.Right, 0))}).");
            var y = Ops.ConstantPad2dOp.Axis(this, Rank - 1, padding.Left, padding.Right, value);
            return Ops.ConstantPad2dOp.Axis(y, Rank - 2, padding.Top, padding.Bottom, value);
        }
    }
}

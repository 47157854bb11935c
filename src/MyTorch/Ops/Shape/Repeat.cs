using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// repeat: the tensor tiled, built as a broadcast between interleaved dimensions of size 1, so the gradient sums g over
    /// the tiles.
    /// </summary>
    internal sealed class RepeatOp : OpDefinition
    {
        public override string Name => "repeat";

        public override OpNotation Notation { get; } = new("repeat({0})", ["1 (values tiled)"], ["{g} summed over the tiles"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [
                ShapeCases.Case("repeat", "(2, 3) by (2, 1, 2)", () => [ShapeCases.R(216, 2, 3)], x => x[0].Repeat(2, 1, 2)),
            ];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// The tensor tiled <paramref name="repeats"/>[i] times along dimension i (a copy), as PyTorch's <c>repeat</c>; extra
        /// leading repeats add dimensions: a (2, 3) tensor repeated (4, 1, 2) is (4, 2, 6).
        /// </summary>
        public Tensor Repeat(params int[] repeats)
        {
            ArgumentNullException.ThrowIfNull(repeats);
            if (repeats.Length < Rank)
                throw new TensorShapeException(
                    $"repeat: {repeats.Length} repeats given for a tensor of shape {Shapes.Format(shape)}; give at least {Rank}.", nameof(repeats));
            int lead = repeats.Length - Rank;
            var interleaved = new int[2 * repeats.Length];
            var tiled = new int[2 * repeats.Length];
            var final = new int[repeats.Length];
            for (int i = 0; i < repeats.Length; i++)
            {
                if (repeats[i] < 0) throw new TensorShapeException($"repeat: repeats {Shapes.Format(repeats)} has a negative count.", nameof(repeats));
                int size = i < lead ? 1 : shape[i - lead];
                (interleaved[2 * i], interleaved[2 * i + 1]) = (1, size);
                (tiled[2 * i], tiled[2 * i + 1]) = (repeats[i], size);
                final[i] = checked(repeats[i] * size);
            }
            var result = Reshape(interleaved).BroadcastTo(tiled).Reshape(final);
            return result.StorageSerial == StorageSerial ? result.Clone() : result;
        }
    }
}

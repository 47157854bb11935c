using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// Einstein summation as PyTorch's <c>torch.einsum</c>, composed of differentiable ops (so it differentiates twice): each
    /// operand's repeated letters become a diagonal and its letters used nowhere else are summed; operands are then
    /// contracted pairwise, left to right, by one batched matmul each (shared output letters the batch, shared
    /// summed letters the inner dimension); the result is permuted to the output's order. A lone operand is summed and
    /// permuted. "..." stands for broadcast leading dimensions.
    /// </summary>
    internal sealed class EinsumOp : OpDefinition
    {
        public override string Name => "einsum";

        public override OpNotation Notation { get; } = new("einsum({0}, {1})", ["the other operand, contracted", "the other operand, contracted"],
            ["einsum of {g} with the other operand", "einsum of {g} with the other operand"], false);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                static Tensor R(ulong seed, params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);
                GradCheckCase Case(string equation, Func<Tensor[]> inputs) => new("op", Name, equation, inputs, x => Tensor.Einsum(equation, x));
                yield return Case("bij,bjk->bik", () => [R(180, 2, 3, 4), R(181, 2, 4, 2)]);
                yield return Case("i,j->ij", () => [R(182, 3), R(183, 4)]);
                yield return Case("ii->i", () => [R(184, 3, 3)]);
                yield return Case("ijk,jl->lki", () => [R(185, 2, 3, 2), R(186, 3, 4)]);
                yield return Case("ij,jk,kl->il", () => [R(187, 2, 3), R(188, 3, 2), R(189, 2, 4)]);
                yield return Case("...ij,...j->...i", () => [R(190, 2, 3, 4), R(191, 4)]);
            }
        }

        /// <summary>The equation's operands' letters and the output's, with "..." replaced by letters of their own.</summary>
        public static (string[] Inputs, string Output) Parse(string equation, IReadOnlyList<Tensor> operands)
        {
            string compact = equation.Replace(" ", "", StringComparison.Ordinal);
            int arrow = compact.IndexOf("->", StringComparison.Ordinal);
            var left = arrow < 0 ? compact : compact[..arrow];
            var terms = left.Split(',');
            if (terms.Length != operands.Count)
                throw Error(equation, $"it names {terms.Length} operand{(terms.Length == 1 ? "" : "s")} but {operands.Count} {(operands.Count == 1 ? "was" : "were")} given");
            // "..." becomes as many fresh letters as the broadcast dimensions need (from the end of the alphabet, upper case).
            int ellipsisRank = 0;
            for (int i = 0; i < terms.Length; i++)
            {
                int letters = terms[i].Replace("...", "", StringComparison.Ordinal).Length;
                if (terms[i].Contains("...", StringComparison.Ordinal)) ellipsisRank = Math.Max(ellipsisRank, operands[i].Rank - letters);
                else if (letters != operands[i].Rank)
                    throw Error(equation, $"operand {i + 1} has {letters} letter{(letters == 1 ? "" : "s")} ('{terms[i]}') but {operands[i].Rank} dimension{(operands[i].Rank == 1 ? "" : "s")}, shape {Shapes.Format(operands[i].Shape)}");
            }
            string fresh = new([.. Enumerable.Range(0, ellipsisRank).Select(k => (char)('Z' - ellipsisRank + 1 + k))]);
            var inputs = new string[terms.Length];
            for (int i = 0; i < terms.Length; i++)
            {
                int dots = terms[i].IndexOf("...", StringComparison.Ordinal);
                if (dots < 0) { inputs[i] = terms[i]; continue; }
                int covered = operands[i].Rank - (terms[i].Length - 3);
                if (covered < 0) throw Error(equation, $"operand {i + 1} ('{terms[i]}') has more letters than its {operands[i].Rank} dimensions");
                inputs[i] = terms[i][..dots] + fresh[(ellipsisRank - covered)..] + terms[i][(dots + 3)..];
            }
            foreach (var term in inputs)
                foreach (char c in term)
                    if (!char.IsAsciiLetter(c)) throw Error(equation, $"'{c}' is not a letter");
            string output;
            if (arrow >= 0)
            {
                output = compact[(arrow + 2)..].Replace("...", fresh, StringComparison.Ordinal);
                foreach (char c in output)
                {
                    if (!inputs.Any(t => t.Contains(c, StringComparison.Ordinal)))
                        throw Error(equation, $"the output letter '{c}' appears in no operand");
                    if (output.Count(o => o == c) > 1) throw Error(equation, $"the output repeats '{c}'");
                }
            }
            else
            {
                // Implicit output: "..." first, then every letter that appears once, in alphabetical order (NumPy's rule).
                var counts = string.Concat(inputs).Where(c => !fresh.Contains(c, StringComparison.Ordinal)).GroupBy(c => c);
                output = fresh + new string([.. counts.Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(c => c)]);
            }
            return (inputs, output);
        }

        internal static TensorShapeException Error(string equation, string problem) =>
            new($"einsum('{MyTorch.IO.MessageText.Clean(equation, 80)}'): {problem}.");
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Einstein summation, as <c>torch.einsum</c>: <c>Einsum("bij,bjk->bik", a, b)</c> is a batched matmul,
        /// <c>"i,j->ij"</c> an outer product, <c>"ii->"</c> a trace, <c>"ij->ji"</c> a transpose, <c>"ij->"</c> a sum.
        /// Without "->" the output is every letter that appears once, in alphabetical order; "..." broadcasts leading
        /// dimensions. Differentiable (twice), as it is built from matmul, sum, permute and reshape.
        /// </summary>
        /// <exception cref="TensorShapeException">The equation does not fit the operands (the message names the operand and its shape).</exception>
        public static Tensor Einsum(string equation, params Tensor[] operands)
        {
            ArgumentNullException.ThrowIfNull(equation);
            ArgumentNullException.ThrowIfNull(operands);
            if (operands.Length == 0) throw Ops.EinsumOp.Error(equation, "it needs at least one operand");
            var (letters, output) = Ops.EinsumOp.Parse(equation, operands);
            var sizes = new Dictionary<char, int>();
            for (int i = 0; i < operands.Length; i++)
                for (int d = 0; d < letters[i].Length; d++)
                {
                    int size = operands[i].shape[d];
                    char c = letters[i][d];
                    if (sizes.TryGetValue(c, out int known) && known != size && known != 1 && size != 1)
                        throw Ops.EinsumOp.Error(equation, $"'{c}' is {known} in one place and {size} in operand {i + 1}, shape {Shapes.Format(operands[i].shape)}");
                    sizes[c] = known == 0 || known == 1 ? size : known;
                }
            var terms = new List<(Tensor Value, string Letters)>(operands.Length);
            for (int i = 0; i < operands.Length; i++)
            {
                var (value, term) = EinsumDiagonals(operands[i], letters[i]);
                // A letter in no other operand and not in the output is summed here, before any product.
                var keep = string.Concat(output, string.Concat(letters.Where((_, j) => j != i)));
                (value, term) = EinsumSum(value, term, c => !keep.Contains(c, StringComparison.Ordinal));
                terms.Add((value, term));
            }
            var (result, resultLetters) = terms[0];
            for (int i = 1; i < terms.Count; i++)
            {
                var later = string.Concat(output, string.Concat(terms.Skip(i + 1).Select(t => t.Letters)));
                (result, resultLetters) = EinsumPair(result, resultLetters, terms[i].Value, terms[i].Letters, later, sizes);
            }
            (result, resultLetters) = EinsumSum(result, resultLetters, c => !output.Contains(c, StringComparison.Ordinal));
            if (resultLetters == output) return result;
            return result.Permute([.. output.Select(c => resultLetters.IndexOf(c, StringComparison.Ordinal))]);
        }

        /// <summary>The outer product of two 1-D tensors, as <c>torch.outer</c>: (n,) and (m,) give (n, m).</summary>
        public static Tensor Outer(Tensor a, Tensor b)
        {
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            if (a.Rank != 1 || b.Rank != 1)
                throw new TensorShapeException($"outer: both operands must be 1-D, got {Shapes.Format(a.shape)} and {Shapes.Format(b.shape)}.");
            return a.Unsqueeze(1) * b.Unsqueeze(0);
        }

        /// <summary>A letter repeated within one operand ("ii") takes the diagonal of those dimensions.</summary>
        private static (Tensor, string) EinsumDiagonals(Tensor x, string letters)
        {
            while (true)
            {
                int first = -1, second = -1;
                for (int d = 0; d < letters.Length && second < 0; d++)
                {
                    int again = letters.IndexOf(letters[d], d + 1);
                    if (again > 0) (first, second) = (d, again);
                }
                if (second < 0) return (x, letters);
                int n = x.shape[first];
                if (x.shape[second] != n)
                    throw new TensorShapeException($"einsum: the repeated letter '{letters[first]}' indexes dimensions of sizes {n} and {x.shape[second]}, shape {Shapes.Format(x.shape)}.");
                // The two dimensions last, flattened to n * n, then every (n + 1)-th element: the diagonal, as the last dimension.
                var order = Enumerable.Range(0, x.Rank).Where(d => d != first && d != second).Append(first).Append(second).ToArray();
                var moved = x.Permute(order);
                var flat = moved.Reshape([.. moved.shape[..^2], n * n]);
                var diagonal = flat.IndexSelect(-1, FromArray(Enumerable.Range(0, n).Select(i => (long)i * (n + 1)).ToArray()));
                x = diagonal;
                letters = new string([.. order[..^2].Select(d => letters[d])]) + letters[first];
            }
        }

        /// <summary>Sums the dimensions whose letters <paramref name="summed"/> picks.</summary>
        private static (Tensor, string) EinsumSum(Tensor x, string letters, Func<char, bool> summed)
        {
            var dims = Enumerable.Range(0, letters.Length).Where(d => summed(letters[d])).ToArray();
            if (dims.Length == 0) return (x, letters);
            return (x.Sum(dims), new string([.. letters.Where(c => !summed(c))]));
        }

        /// <summary>
        /// a and b contracted by one batched matmul: letters in both and still needed later are the batch, letters in both
        /// and not needed later the inner dimension, the rest the rows of a and the columns of b.
        /// </summary>
        private static (Tensor, string) EinsumPair(Tensor a, string la, Tensor b, string lb, string later, Dictionary<char, int> sizes)
        {
            var batch = la.Where(c => lb.Contains(c, StringComparison.Ordinal) && later.Contains(c, StringComparison.Ordinal)).ToArray();
            var inner = la.Where(c => lb.Contains(c, StringComparison.Ordinal) && !later.Contains(c, StringComparison.Ordinal)).ToArray();
            var rows = la.Where(c => !lb.Contains(c, StringComparison.Ordinal)).ToArray();
            var columns = lb.Where(c => !la.Contains(c, StringComparison.Ordinal)).ToArray();
            int Size(IEnumerable<char> cs) => cs.Aggregate(1, (p, c) => p * sizes[c]);
            Tensor Arrange(Tensor x, string lx, char[] first, char[] second, char[] third)
            {
                var order = first.Concat(second).Concat(third).Select(c => lx.IndexOf(c, StringComparison.Ordinal)).ToArray();
                var moved = order.SequenceEqual(Enumerable.Range(0, lx.Length)) ? x : x.Permute(order);
                // A size-1 dimension against a larger one broadcasts, as in PyTorch.
                var target = first.Concat(second).Concat(third).Select(c => sizes[c]).ToArray();
                if (!Shapes.Equal(moved.shape, target)) moved = moved.BroadcastTo(target);
                return moved.Reshape(Size(first), Size(second), Size(third));
            }
            var a3 = Arrange(a, la, batch, rows, inner);
            var b3 = Arrange(b, lb, batch, inner, columns);
            var product = a3.MatMul(b3);
            var letters = new string([.. batch, .. rows, .. columns]);
            return (product.Reshape([.. letters.Select(c => sizes[c])]), letters);
        }
    }
}

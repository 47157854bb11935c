namespace MyTorch.Visualization;

/// <summary>
/// How traces and drawings write each built-in op: the expression it computes, its local derivative with
/// respect to each input, and the chain-rule product that backward forms from it. Placeholders: {0}, {1} the
/// inputs, {y} the output, {g} the output's gradient. Ops not listed (user functions, fused layers) get a
/// generic description. Ops declared in one file (<see cref="Ops.OpDefinition"/>) carry their own notation.
/// </summary>
internal sealed record OpNotation(string Expression, string[] Local, string[] Chain, bool Elementwise)
{
    private static readonly Dictionary<string, OpNotation> Known = new(StringComparer.Ordinal)
    {
        ["batch_norm"] = new("batch_norm({0}; {1}, {2})", ["seed 004's backward formulas", "x_hat", "1"],
            ["seed 004: dL/dx from dL/dx_hat, dL/dvar, dL/dmean", "sum of {g} * x_hat", "sum of {g}"], false),
    };

    /// <summary>The notation for <paramref name="op"/>, or a generic one for an op the table does not know.</summary>
    public static OpNotation For(string op, int inputs) =>
        Ops.OpRegistry.Find(op)?.NotationFor(inputs) is { } declared && declared.Local.Length == inputs ? declared :
        (Known.TryGetValue(op, out var known) && known.Local.Length == inputs) || Known.TryGetValue($"{op}/{inputs}", out known)
            ? known
            : new OpNotation(
                $"{op}(" + string.Join(", ", Enumerable.Range(0, inputs).Select(i => "{" + i + "}")) + ")",
                Enumerable.Repeat("hand-written backward", inputs).ToArray(),
                Enumerable.Range(0, inputs).Select(i => $"backward of {op}, input {i + 1}, from {{g}}").ToArray(),
                false);

    /// <summary>Fills the placeholders with the given labels.</summary>
    public static string Fill(string template, IReadOnlyList<string> inputs, string output, string gradient)
    {
        var text = template.Replace("{y}", output, StringComparison.Ordinal).Replace("{g}", gradient, StringComparison.Ordinal);
        for (int i = 0; i < inputs.Count; i++) text = text.Replace("{" + i + "}", inputs[i], StringComparison.Ordinal);
        return text;
    }
}

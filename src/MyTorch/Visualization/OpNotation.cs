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
        ["clone"] = new("clone({0})", ["1"], ["{g}"], true),
        ["to"] = new("to({0})", ["1"], ["{g}"], true),
        ["matmul"] = new("{0} @ {1}", ["(.) @ {1}^T", "{0}^T @ (.)"], ["{g} @ {1}^T", "{0}^T @ {g}"], false),
        ["linear"] = new("{0} @ {1} + {2}", ["(.) @ {1}^T", "{0}^T @ (.)", "1 for each row"], ["{g} @ {1}^T", "{0}^T @ {g}", "column sums of {g}"], false),
        ["linear/2"] = new("{0} @ {1}", ["(.) @ {1}^T", "{0}^T @ (.)"], ["{g} @ {1}^T", "{0}^T @ {g}"], false),
        ["batch_norm"] = new("batch_norm({0}; {1}, {2})", ["seed 004's backward formulas", "x_hat", "1"],
            ["seed 004: dL/dx from dL/dx_hat, dL/dvar, dL/dmean", "sum of {g} * x_hat", "sum of {g}"], false),
        ["sum"] = new("sum({0})", ["1"], ["{g} copied to every element"], false),
        ["max"] = new("max({0})", ["[{0} is the max]"], ["{g} to the max"], false),
        ["min"] = new("min({0})", ["[{0} is the min]"], ["{g} to the min"], false),
        ["logsumexp"] = new("logsumexp({0})", ["softmax({0})"], ["{g} * softmax({0})"], false),
        ["softmax"] = new("softmax({0})", ["diag({y}) - {y} {y}^T"], ["{y} * ({g} - sum({g} * {y}))"], false),
        ["log_softmax"] = new("log_softmax({0})", ["I - softmax({0})"], ["{g} - softmax({0}) sum({g})"], false),
        ["reshape"] = new("reshape({0})", ["1 (same values, new shape)"], ["{g} reshaped back"], false),
        ["permute"] = new("permute({0})", ["1 (values moved)"], ["{g} permuted back"], false),
        ["broadcast_to"] = new("broadcast({0})", ["1 (values copied)"], ["{g} summed over the copies"], false),
        ["narrow"] = new("narrow({0})", ["1 inside the slice, 0 outside"], ["{g} placed in the slice"], false),
        ["concat"] = new("concat(...)", ["1 for its block"], ["{g}'s block"], false),
        ["index_select"] = new("{0}[index]", ["1 at the chosen rows"], ["{g} added to the chosen rows"], false),
        ["index_add"] = new("index_add({0})", ["1 at the chosen rows"], ["{g} at the chosen rows"], false),
    };

    /// <summary>The notation for <paramref name="op"/>, or a generic one for an op the table does not know.</summary>
    public static OpNotation For(string op, int inputs) =>
        Ops.OpRegistry.Find(op)?.Notation is { } declared && declared.Local.Length == inputs ? declared :
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

namespace MyTorch.Visualization;

/// <summary>
/// How traces and drawings write an op: the expression it computes, its local derivative with respect to each input, and
/// the chain-rule product that backward forms from it. Placeholders: {0}, {1} the inputs, {y} the output, {g} the output's
/// gradient. Every built-in op declares its own (<see cref="Ops.OpDefinition.Notation"/>); user functions get a generic one.
/// </summary>
internal sealed record OpNotation(string Expression, string[] Local, string[] Chain, bool Elementwise)
{
    /// <summary>The notation <paramref name="op"/>'s definition declares for <paramref name="inputs"/> inputs, or a generic one.</summary>
    public static OpNotation For(string op, int inputs) =>
        Ops.OpRegistry.Find(op)?.NotationFor(inputs) is { } declared && declared.Local.Length == inputs
            ? declared
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

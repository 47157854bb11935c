namespace MyTorch.Optim;

/// <summary>
/// A set of parameters that share hyper-parameters, as in PyTorch's <c>param_groups</c>: a learning rate
/// (which schedulers change) and named options such as <c>momentum</c> or <c>weight_decay</c>.
/// </summary>
public sealed class ParameterGroup
{
    /// <summary>Creates a group; options not given here take the optimizer's defaults.</summary>
    public ParameterGroup(IEnumerable<Tensor> parameters, double? learningRate = null, IReadOnlyDictionary<string, double>? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        LearningRate = learningRate ?? double.NaN;
        if (options is not null)
            foreach (var (key, value) in options) Options[key] = value;
    }

    /// <summary>The parameters this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current learning rate; schedulers set it.</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate the group started with, which schedulers scale.</summary>
    public double InitialLearningRate { get; internal set; }

    /// <summary>Named hyper-parameters (for example <c>momentum</c>, <c>weight_decay</c>, <c>beta1</c>).</summary>
    public Dictionary<string, double> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the boolean option <paramref name="name"/> is set (stored as 1).</summary>
    public bool Flag(string name) => Options.TryGetValue(name, out var value) && value != 0;
}

using System.Globalization;
using MyTorch.NN;

namespace MyTorch.Optim;

/// <summary>
/// The base of every optimizer: parameter groups with their hyper-parameters, per-parameter state (such as
/// momentum buffers), and a state dict that captures both so training can stop and resume exactly.
/// </summary>
public abstract class Optimizer
{
    private readonly List<ParameterGroup> groups;
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);
    // Per-parameter numbers that are not tensors, such as Adam's step count (PyTorch's state[p]["step"]).
    private readonly Dictionary<Tensor, Dictionary<string, double>> scalarState = new(ReferenceEqualityComparer.Instance);

    /// <summary>Takes the groups and fills every option a group does not set from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParameterGroup> parameterGroups, double learningRate, IReadOnlyDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(parameterGroups);
        ArgumentNullException.ThrowIfNull(defaults);
        groups = parameterGroups.ToList();
        if (groups.Count == 0 || groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException($"{GetType().Name}: the optimizer got an empty parameter list.", nameof(parameterGroups));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var group in groups)
        {
            if (double.IsNaN(group.LearningRate)) group.LearningRate = learningRate;
            group.InitialLearningRate = group.LearningRate;
            foreach (var (key, value) in defaults) group.Options.TryAdd(key, value);
            foreach (var p in group.Parameters)
            {
                if (!p.RequiresGrad || !p.IsLeaf)
                    throw new ArgumentException($"{GetType().Name}: can only optimize leaf tensors that require grad ({Autograd.Describe(p)}).", nameof(parameterGroups));
                if (!seen.Add(p))
                    throw new ArgumentException($"{GetType().Name}: a parameter appears in more than one group ({Autograd.Describe(p)}).", nameof(parameterGroups));
            }
        }
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> ParamGroups => groups;

    /// <summary>The number of completed <see cref="Step"/> calls.</summary>
    public long StepCount { get; protected set; }

    /// <summary>The learning rate of the first group; setting it sets every group's.</summary>
    public double LearningRate
    {
        get => groups[0].LearningRate;
        set
        {
            CheckLearningRate(value, GetType().Name);
            foreach (var g in groups) g.LearningRate = value;
        }
    }

    /// <summary>
    /// Updates every parameter from its gradient. Parameters without a gradient are skipped. Every gradient is checked
    /// against its parameter first, so a step that throws has updated nothing.
    /// </summary>
    public void Step()
    {
        CheckGradients();
        using (Autograd.NoGrad())
        {
            foreach (var group in groups)
            {
                var parameters = group.Parameters; // indexed: an interface enumerator would allocate every step
                for (int i = 0; i < parameters.Count; i++)
                {
                    var p = parameters[i];
                    if (p.Grad is not null) Update(group, p, p.Grad);
                }
            }
        }
        StepCount++;
    }

    private void CheckGradients()
    {
        int index = 0;
        foreach (var group in groups)
        {
            var parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++, index++)
            {
                var p = parameters[i];
                if (p.Grad is { } g && (!Shapes.Equal(g.Shape, p.Shape) || g.DType != p.DType)) ThrowGradientMismatch(index, p, g);
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowGradientMismatch(int index, Tensor parameter, Tensor gradient) =>
        throw new TensorShapeException($"{GetType().Name}.Step: parameter {index}{(parameter.Name is null ? "" : $" '{parameter.Name}'")} is " +
            $"{Shapes.Format(parameter.Shape)} {parameter.DType.Name()} but its gradient is {Shapes.Format(gradient.Shape)} {gradient.DType.Name()}; " +
            "no parameter was updated.");

    /// <summary>Applies the update rule to one parameter, given its gradient. Runs with recording off.</summary>
    protected abstract void Update(ParameterGroup group, Tensor parameter, Tensor gradient);

    /// <summary>Clears every parameter's gradient (to null, or to zeros when <paramref name="setToZero"/>).</summary>
    public void ZeroGrad(bool setToZero = false)
    {
        foreach (var g in groups)
        {
            var parameters = g.Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (setToZero && p.Grad is not null) p.Grad.Fill(0);
                else p.Grad = null;
            }
        }
    }

    /// <summary>The state tensor <paramref name="name"/> of <paramref name="parameter"/>, or null before the first step that creates it.</summary>
    public Tensor? GetState(Tensor parameter, string name) =>
        state.TryGetValue(parameter, out var entries) && entries.TryGetValue(name, out var value) ? value : null;

    /// <summary>The state tensor <paramref name="name"/> of <paramref name="parameter"/>, created as zeros on first use.</summary>
    protected Tensor State(Tensor parameter, string name)
    {
        if (!state.TryGetValue(parameter, out var entries)) state[parameter] = entries = new(StringComparer.Ordinal);
        if (!entries.TryGetValue(name, out var value)) entries[name] = value = Tensor.ZerosLike(parameter);
        return value;
    }

    /// <summary>The per-parameter number <paramref name="name"/> of <paramref name="parameter"/> (such as Adam's "step"), or null before it is set.</summary>
    public double? GetScalarState(Tensor parameter, string name) =>
        scalarState.TryGetValue(parameter, out var entries) && entries.TryGetValue(name, out var value) ? value : null;

    /// <summary>The per-parameter number <paramref name="name"/> of <paramref name="parameter"/>, 0 before it is first set.</summary>
    protected double ScalarState(Tensor parameter, string name) => GetScalarState(parameter, name) ?? 0;

    /// <summary>Sets the per-parameter number <paramref name="name"/> of <paramref name="parameter"/>; the state dict saves it.</summary>
    protected void SetScalarState(Tensor parameter, string name, double value)
    {
        if (!scalarState.TryGetValue(parameter, out var entries)) scalarState[parameter] = entries = new(StringComparer.Ordinal);
        entries[name] = value;
    }

    /// <summary>
    /// Hyper-parameters (as metadata) and per-parameter state (tensors named <c>state.{index}.{name}</c>, and
    /// numbers such as step counts as metadata under the same keys; indices count parameters across groups in
    /// order), like PyTorch's optimizer state dict.
    /// </summary>
    public StateDict StateDict()
    {
        var dict = new StateDict();
        dict.Metadata["optimizer"] = GetType().Name;
        dict.Metadata["step"] = StepCount.ToString(CultureInfo.InvariantCulture);
        int index = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            dict.Metadata[$"group.{g}.lr"] = group.LearningRate.ToString("R", CultureInfo.InvariantCulture);
            dict.Metadata[$"group.{g}.initial_lr"] = group.InitialLearningRate.ToString("R", CultureInfo.InvariantCulture);
            foreach (var (key, value) in group.Options)
                dict.Metadata[$"group.{g}.{key}"] = value.ToString("R", CultureInfo.InvariantCulture);
            foreach (var p in group.Parameters)
            {
                if (state.TryGetValue(p, out var entries))
                    foreach (var (name, value) in entries) dict.Add($"state.{index}.{name}", value.Detach());
                if (scalarState.TryGetValue(p, out var numbers))
                    foreach (var (name, value) in numbers)
                        dict.Metadata[$"state.{index}.{name}"] = value.ToString("R", CultureInfo.InvariantCulture);
                index++;
            }
        }
        return dict;
    }

    /// <summary>Restores what <see cref="StateDict"/> saved; the optimizer must have the same groups and parameter shapes.</summary>
    public void LoadStateDict(StateDict dict)
    {
        ArgumentNullException.ThrowIfNull(dict);
        string name = GetType().Name;
        if (dict.Metadata.TryGetValue("optimizer", out var saved) && saved != name)
            throw new ArgumentException($"{name}.LoadStateDict: the state dict is from a {saved} optimizer.", nameof(dict));
        var parameters = groups.SelectMany(g => g.Parameters).ToArray();
        var restored = new Dictionary<Tensor, Dictionary<string, Tensor>>(ReferenceEqualityComparer.Instance);
        foreach (var (key, value) in dict)
        {
            if (!TryParseStateKey(key, parameters.Length, out int index, out string entry))
                throw new ArgumentException($"{name}.LoadStateDict: unexpected key '{key}'.", nameof(dict));
            var p = parameters[index];
            if (!Shapes.Equal(p.Shape, value.Shape) || p.DType != value.DType)
                throw new ArgumentException($"{name}.LoadStateDict: key '{key}' has shape {Shapes.Format(value.Shape)} " +
                    $"{value.DType.Name()} but parameter {index} has {Shapes.Format(p.Shape)} {p.DType.Name()}.", nameof(dict));
            if (!restored.TryGetValue(p, out var entries)) restored[p] = entries = new(StringComparer.Ordinal);
            entries[entry] = value.Detach().Clone();
        }
        var restoredNumbers = new Dictionary<Tensor, Dictionary<string, double>>(ReferenceEqualityComparer.Instance);
        foreach (var (key, text) in dict.Metadata)
        {
            if (!key.StartsWith("state.", StringComparison.Ordinal)) continue;
            if (!TryParseStateKey(key, parameters.Length, out int index, out string entry))
                throw new ArgumentException($"{name}.LoadStateDict: unexpected metadata key '{key}'.", nameof(dict));
            var p = parameters[index];
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new ArgumentException($"{name}.LoadStateDict: state '{key}' is not a number: '{text}'.", nameof(dict));
            if (!restoredNumbers.TryGetValue(p, out var numbers)) restoredNumbers[p] = numbers = new(StringComparer.Ordinal);
            numbers[entry] = value;
        }
        long stepCount = StepCount;
        if (dict.Metadata.TryGetValue("step", out var step)
            && !long.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out stepCount))
            throw new ArgumentException($"{name}.LoadStateDict: 'step' is not a non-negative integer: '{step}'.", nameof(dict));
        var options = new List<(ParameterGroup Group, string Key, double Value)>();
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var key in groups[g].Options.Keys.Append("lr").Append("initial_lr"))
            {
                if (!dict.Metadata.TryGetValue($"group.{g}.{key}", out var text)) continue;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    throw new ArgumentException($"{name}.LoadStateDict: group {g} option '{key}' is not a number: '{text}'.", nameof(dict));
                if (key is "lr" or "initial_lr" && (!(value >= 0) || double.IsInfinity(value)))
                    throw new ArgumentException($"{name}.LoadStateDict: group {g} '{key}' is {text}; a learning rate must be non-negative and finite.", nameof(dict));
                options.Add((groups[g], key, value));
            }
        }
        state.Clear();
        foreach (var (p, entries) in restored) state[p] = entries;
        scalarState.Clear();
        foreach (var (p, numbers) in restoredNumbers) scalarState[p] = numbers;
        foreach (var (group, key, value) in options)
        {
            if (key == "lr") group.LearningRate = value;
            else if (key == "initial_lr") group.InitialLearningRate = value;
            else group.Options[key] = value;
        }
        StepCount = stepCount;
    }

    /// <summary>Splits a <c>state.{index}.{name}</c> key; false for any other key or an index out of range.</summary>
    private static bool TryParseStateKey(string key, int parameterCount, out int index, out string name)
    {
        var parts = key.Split('.');
        name = parts.Length == 3 ? parts[2] : "";
        index = -1;
        return parts.Length == 3 && parts[0] == "state" && name.Length > 0
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < parameterCount;
    }

    /// <summary>Throws the standard error for an invalid learning rate.</summary>
    protected static void CheckLearningRate(double learningRate, string optimizer)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new ArgumentException($"{optimizer}: invalid learning rate: {learningRate.ToString(CultureInfo.InvariantCulture)} (must be positive and finite).", nameof(learningRate));
    }

    /// <summary>Wraps a flat parameter list as one group.</summary>
    protected static IEnumerable<ParameterGroup> OneGroup(IEnumerable<Tensor> parameters) => [new ParameterGroup(parameters)];
}

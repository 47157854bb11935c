using System.Text;

namespace MyTorch.NN;

/// <summary>
/// The base of every layer and network: it holds parameters (trained), buffers (state such as BatchNorm's
/// running statistics) and submodules, each registered explicitly and kept in registration order.
/// </summary>
/// <remarks>
/// As in PyTorch, names compose with dots: a <see cref="Sequential"/> whose first child is a Linear layer has
/// a parameter <c>0.weight</c>. <see cref="Train"/> and <see cref="Eval"/> switch the whole tree.
/// </remarks>
public abstract partial class Module
{
    private readonly List<(string Name, Tensor Value)> parameters = [];
    private readonly List<(string Name, Tensor Value)> buffers = [];
    private readonly List<(string Name, Module Value)> children = [];

    /// <summary>Whether the module is in training mode (the default) rather than evaluation mode.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a trained tensor under <paramref name="name"/>; it is set to require gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        value.RequiresGrad = true;
        value.Name ??= name;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a state tensor that is saved and loaded but not trained.</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(value);
        value.Name ??= name;
        buffers.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(module);
        children.Add((name, module));
        // The child's tensors carry their path inside it ("weight"); from here the path grows ("0.weight"), so graphs
        // and traces of the whole model name each parameter as state dicts do. A name the user set is kept.
        foreach (var (path, tensor) in module.NamedParameters().Concat(module.NamedBuffers()))
            if (tensor.Name == path) tensor.Name = name + "." + path;
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
            throw new ArgumentException($"{GetType().Name}: invalid name '{name}': names must be non-empty and contain no dots.", nameof(name));
        if (parameters.Exists(p => p.Name == name) || buffers.Exists(b => b.Name == name) || children.Exists(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered.", nameof(name));
    }

    /// <summary>Direct submodules with their names, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children.Select(c => (c.Name, c.Value));

    /// <summary>This module and every module below it, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedModules(Join(prefix, name)))
                yield return item;
    }

    /// <summary>Every parameter in the tree with its dotted name, in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, value) in parameters) yield return (Join(prefix, name), value);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedParameters(Join(prefix, name)))
                yield return item;
    }

    /// <summary>Every parameter in the tree, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer in the tree with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, value) in buffers) yield return (Join(prefix, name), value);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedBuffers(Join(prefix, name)))
                yield return item;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Sets training mode (or evaluation mode when <paramref name="mode"/> is false) on the whole tree.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, module) in NamedModules()) module.IsTraining = mode;
        return this;
    }

    /// <summary>Sets evaluation mode on the whole tree (BatchNorm uses running statistics, Dropout passes through).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradient of every parameter (to null, or to zeros when <paramref name="setToZero"/>).</summary>
    public void ZeroGrad(bool setToZero = false)
    {
        foreach (var p in Parameters())
        {
            if (setToZero && p.Grad is not null) p.Grad.Fill(0);
            else p.Grad = null;
        }
    }

    /// <summary>The number of trained scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Count);

    /// <summary>Parameters and buffers under their dotted names. The tensors share storage with the module.</summary>
    public StateDict StateDict()
    {
        var dict = new StateDict();
        foreach (var (name, module) in NamedModules())
        {
            foreach (var (key, value) in module.parameters) dict.Add(Join(name, key), value.Detach());
            foreach (var (key, value) in module.buffers) dict.Add(Join(name, key), value.Detach());
        }
        return dict;
    }

    /// <summary>
    /// Copies values from <paramref name="dict"/> into this module's parameters and buffers. With
    /// <paramref name="strict"/> (the default), a missing or unexpected key is an error; a wrong shape or dtype
    /// always is. Every problem is reported at once, by key, and nothing is changed when there is one.
    /// </summary>
    public void LoadStateDict(StateDict dict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(dict);
        var own = StateDict();
        var problems = new List<string>();
        foreach (var (key, target) in own)
        {
            if (!dict.TryGetValue(key, out var source))
            {
                if (strict) problems.Add($"missing key '{key}' (expected shape {Shapes.Format(target.Shape)})");
                continue;
            }
            if (!Shapes.Equal(source.Shape, target.Shape))
                problems.Add($"key '{key}': shape {Shapes.Format(source.Shape)} in the state dict, {Shapes.Format(target.Shape)} in the model");
            else if (source.DType != target.DType)
                problems.Add($"key '{key}': dtype {source.DType.Name()} in the state dict, {target.DType.Name()} in the model");
        }
        if (strict)
            foreach (var key in dict.Keys.Where(k => !own.ContainsKey(k))) problems.Add($"unexpected key '{key}'");
        if (problems.Count > 0)
            throw new ArgumentException($"{GetType().Name}.LoadStateDict: {string.Join("; ", problems)}.", nameof(dict));
        using (Autograd.NoGrad())
            foreach (var (key, target) in own)
                if (dict.TryGetValue(key, out var source)) target.CopyFrom(source);
    }

    /// <summary>Converts every parameter and buffer to <paramref name="dtype"/> in place (the tensors keep their identity).</summary>
    public Module To(DType dtype)
    {
        using (Autograd.NoGrad())
        {
            foreach (var (_, module) in NamedModules())
            {
                foreach (var (_, p) in module.parameters) { p.SetData(p.To(dtype)); p.Grad = null; }
                foreach (var (_, b) in module.buffers) if (b.DType.IsFloatingPoint()) b.SetData(b.To(dtype));
            }
        }
        return this;
    }

    /// <summary>A one-line description of this module's configuration, used by <see cref="ToString"/>.</summary>
    protected virtual string ExtraDescription => "";

    /// <summary>The type and configuration on one line, without the children: <c>Linear(in_features=4, out_features=2, bias=True)</c>.</summary>
    internal string OneLineDescription => $"{GetType().Name}({ExtraDescription})";

    /// <summary>
    /// Every layer with the shape it outputs for an input of <paramref name="inputShape"/> (the batch dimension included)
    /// and its parameter counts, with totals, as Keras's <c>model.summary()</c>. The model runs once in evaluation mode
    /// on zeros of that shape, without gradients; its training flags are put back.
    /// </summary>
    /// <exception cref="TensorShapeException">A layer does not take what the layer before it gives (the message names it).</exception>
    /// <example><code>Console.Write(model.Summary(1, 784));</code></example>
    public ModelSummary Summary(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        var dtype = Parameters().FirstOrDefault()?.DType ?? DType.Float32;
        return ModelSummary.Of(this, inputShape, dtype);
    }

    /// <summary>The module tree, one module a line, as PyTorch prints it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Describe(text, 0);
        return text.ToString();
    }

    private void Describe(StringBuilder text, int indent)
    {
        text.Append(GetType().Name).Append('(').Append(ExtraDescription);
        if (children.Count > 0)
        {
            text.AppendLine();
            foreach (var (name, child) in children)
            {
                text.Append(' ', indent + 2).Append('(').Append(name).Append("): ");
                child.Describe(text, indent + 2);
                text.AppendLine();
            }
            text.Append(' ', indent);
        }
        text.Append(')');
    }
}

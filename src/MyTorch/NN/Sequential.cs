namespace MyTorch.NN;

/// <summary>Modules applied one after another; their names are their positions ("0", "1", ...).</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> modules = [];

    /// <summary>Creates a chain of <paramref name="modules"/>.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules) Add(module);
    }

    /// <summary>Appends a module at the end of the chain.</summary>
    public Sequential Add(Module module)
    {
        RegisterModule(modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        modules.Add(module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => modules[index];

    /// <summary>The number of modules in the chain.</summary>
    public int Count => modules.Count;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var module in modules) x = module.Call(x);
        return x;
    }
}

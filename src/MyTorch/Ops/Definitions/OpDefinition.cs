using System.Reflection;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops;

/// <summary>
/// The one home of an op's description: its name, how drawings and traces write it, and its cases for the gradient-check
/// suite. Its kernels live beside it in the same file. Every non-abstract subclass in the library is found by
/// <see cref="OpRegistry"/>, so a new op is one file: no table elsewhere lists it.
/// </summary>
internal abstract class OpDefinition
{
    /// <summary>The op's name, as graph nodes, error messages and <c>mytorch gradcheck</c> show it.</summary>
    public abstract string Name { get; }

    /// <summary>The expression, local derivatives and chain-rule products that traces and drawings print.</summary>
    public abstract OpNotation Notation { get; }

    /// <summary>The notation of an application to <paramref name="inputs"/> inputs (an op with an optional input writes both forms).</summary>
    public virtual OpNotation NotationFor(int inputs) => Notation;

    /// <summary>The op's cases in <see cref="GradCheckSuite"/>: small seeded float64 inputs away from kinks.</summary>
    public virtual IEnumerable<GradCheckCase> GradCheckCases => [];

    /// <summary>The hidden-activation name the CLI and model specs accept for this op's module, or null when it has none.</summary>
    public virtual string? ActivationName => null;

    /// <summary>A new module applying this op, for <see cref="ActivationName"/>.</summary>
    public virtual NN.Module? CreateModule() => null;

    /// <summary>The op applied to one tensor with its default parameters, for an element-wise op; null for others.</summary>
    public virtual Func<Tensor, Tensor>? Elementwise => null;

    /// <summary>The derivative the op declares, as ops of its input and output, for an element-wise op; null for others.</summary>
    public virtual Func<Tensor, Tensor, Tensor>? DeclaredDerivative => null;
}

/// <summary>Every <see cref="OpDefinition"/> in the library, found once by reflection.</summary>
internal static class OpRegistry
{
    private static readonly Lazy<OpDefinition[]> all = new(Discover);

    /// <summary>All op definitions, ordered by name.</summary>
    public static IReadOnlyList<OpDefinition> All => all.Value;

    /// <summary>The op named <paramref name="name"/>, or null.</summary>
    public static OpDefinition? Find(string name)
    {
        foreach (var op in all.Value)
            if (op.Name == name) return op;
        return null;
    }

    /// <summary>The ops that give a hidden-layer activation module, in name order.</summary>
    public static IEnumerable<OpDefinition> Activations => all.Value.Where(op => op.ActivationName is not null);

    private static OpDefinition[] Discover() =>
        [.. typeof(OpDefinition).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(OpDefinition).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (OpDefinition)Activator.CreateInstance(t)!)
            .OrderBy(op => op.Name, StringComparer.Ordinal)];
}

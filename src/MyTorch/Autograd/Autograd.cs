using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace MyTorch;

/// <summary>
/// Reverse-mode automatic differentiation over the dynamic graph that ops record as they run.
/// </summary>
/// <remarks>
/// The graph is walked in reverse topological order; each node's backward function maps the gradient of
/// its output to gradients of its inputs, which are summed where a tensor feeds several ops (the chain
/// rule: dL/da = sum_j dL/db_j * db_j/da). The walk is iterative, so graph depth is limited by memory only.
/// </remarks>
public static class Autograd
{
    /// <summary>Turns gradient recording off on this thread until the returned scope is disposed.</summary>
    /// <example><code>using (Autograd.NoGrad()) { var y = model.Forward(x); }</code></example>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Turns gradient recording back on inside a <see cref="NoGrad"/> scope.</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Whether ops on this thread currently record the graph.</summary>
    public static bool IsGradEnabled => GradMode.IsEnabled;

    /// <summary>
    /// Within the returned scope, every op checks its output, and every backward function its gradients, for
    /// NaN or infinity, and throws naming the op, its input shapes and where it was created.
    /// </summary>
    public static AnomalyScope DetectAnomaly() => new();

    /// <summary>Whether a <see cref="DetectAnomaly"/> scope is active on this thread.</summary>
    public static bool IsAnomalyDetectionEnabled => AnomalyMode.IsEnabled;

    /// <summary>
    /// Records <paramref name="result"/> as the output of op <paramref name="name"/> when any input requires grad.
    /// <paramref name="saved"/> says whether the backward reads the inputs and the output, so that changing one of them in
    /// place before the backward pass is an error.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, BackwardFunction backward,
        SavedTensors saved = SavedTensors.InputsAndOutput)
    {
        if (AnomalyMode.IsEnabled) CheckFinite(result, name, inputs, "forward", Environment.StackTrace);
        if (!GradMode.IsEnabled) return result;
        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                result.MarkRecorded(new GradNode(name, inputs, backward, result, saved));
                return result;
            }
        }
        return result;
    }

    /// <summary>
    /// Computes the gradient of <paramref name="output"/> with respect to every leaf that requires grad and
    /// adds it into that leaf's <see cref="Tensor.Grad"/>. A non-scalar output needs <paramref name="gradOutput"/>.
    /// </summary>
    public static void Backward(Tensor output, Tensor? gradOutput = null, bool retainGraph = false, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                "Backward: the output does not require grad: none of the tensors it was computed from has RequiresGrad set " +
                "(or it was computed inside a NoGrad scope).");
        Run([output], [gradOutput], retainGraph, createGraph, inputs: null, "Backward");
    }

    /// <summary>
    /// Returns the gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/> without
    /// touching any <see cref="Tensor.Grad"/>.
    /// </summary>
    /// <remarks>
    /// An input the outputs do not depend on has no gradient from the graph: it is not defined (seed 000:
    /// y = sigmoid(2x + 1) and z = x^2 share x, but dy/dz does not exist). Then this throws, unless
    /// <paramref name="allowUnused"/> (null for that input) or <paramref name="materializeGrads"/> (zeros) is set.
    /// </remarks>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null, bool retainGraph = false, bool createGraph = false,
        bool allowUnused = false, bool materializeGrads = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"Grad: {outputs.Count} outputs but {gradOutputs.Count} output gradients.", nameof(gradOutputs));
        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"Grad: input {i} ({Describe(inputs[i])}) does not require grad.", nameof(inputs));
        }
        for (int i = 0; i < outputs.Count; i++)
        {
            if (!outputs[i].RequiresGrad)
                throw new ArgumentException($"Grad: output {i} ({Describe(outputs[i])}) does not require grad.", nameof(outputs));
        }
        var grads = Run(outputs, gradOutputs ?? new Tensor?[outputs.Count], retainGraph, createGraph, inputs, "Grad")!;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (grads[i] is not null) continue;
            if (materializeGrads) grads[i] = Tensor.ZerosLike(inputs[i]);
            else if (!allowUnused) ThrowUnused(i, inputs[i]);
        }
        return grads;
    }

    /// <summary>The gradient of one output with respect to one input; see the list overload.</summary>
    public static Tensor? Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool retainGraph = false,
        bool createGraph = false, bool allowUnused = false, bool materializeGrads = false) =>
        Grad([output], [input], [gradOutput], retainGraph, createGraph, allowUnused, materializeGrads)[0];

    [DoesNotReturn]
    private static void ThrowUnused(int index, Tensor input) =>
        throw new InvalidOperationException(
            $"Grad: input {index} ({Describe(input)}) is not part of the graph of the outputs, so the gradient with respect to it " +
            "is not defined. Pass allowUnused: true to get null for it, or materializeGrads: true to get zeros.");

    internal static string Describe(Tensor t) =>
        (t.Name is null ? "" : $"'{t.Name}', ") + $"shape {Shapes.Format(t.Shape)}" + (t.GradFn is null ? "" : $", made by '{t.GradFn.Name}'");

    private static Tensor?[]? Run(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> gradOutputs, bool retainGraph,
        bool createGraph, IReadOnlyList<Tensor>? inputs, string caller)
    {
        // As in PyTorch, building a graph of the backward pass keeps the forward graph: the new graph refers to it.
        retainGraph |= createGraph;
        var order = TopologicalOrder(outputs);
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var ownership = new GradientOwnership(Tensor.CurrentStorageSerial);
        for (int i = 0; i < outputs.Count; i++)
        {
            var seed = SeedGradient(outputs[i], gradOutputs[i], caller);
            ownership.MarkShared(seed);
            Accumulate(pending, outputs[i], seed, ownership);
        }

        Dictionary<Tensor, int>? wanted = null;
        Tensor?[]? results = null;
        if (inputs is not null)
        {
            wanted = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < inputs.Count; i++) wanted.TryAdd(inputs[i], i);
            results = new Tensor?[inputs.Count];
        }

        var observer = BackwardObservation.Current;
        bool detectAnomaly = AnomalyMode.IsEnabled;
        using var mode = new GradModeScope(createGraph);
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var tensor = order[k];
            if (!pending.Remove(tensor, out var grad)) continue;

            if (wanted is not null)
            {
                if (wanted.ContainsKey(tensor))
                {
                    for (int i = 0; i < inputs!.Count; i++)
                        if (ReferenceEquals(inputs[i], tensor)) results![i] = grad;
                }
            }
            else if (tensor.IsLeaf || tensor.RetainsGrad)
            {
                // A leaf may keep a gradient this pass made and handed to no one else, instead of a copy of it.
                bool owned = tensor.IsLeaf && !createGraph && observer is null && ownership.IsExclusive(grad);
                AccumulateIntoGrad(tensor, grad, createGraph, owned);
            }

            var node = tensor.GradFn;
            if (node is null)
            {
                observer?.OnGradient(tensor, grad, null);
                continue;
            }
            var inputGrads = detectAnomaly ? ApplyWithoutForwardChecks(node, grad) : node.Apply(grad);
            observer?.OnGradient(tensor, grad, inputGrads);
            var nodeInputs = node.InputArray;
            if (inputGrads.Length != nodeInputs.Length)
                throw new InvalidOperationException(
                    $"Backward of '{node.Name}' returned {inputGrads.Length} gradients for {nodeInputs.Length} inputs.");
            for (int i = 0; i < nodeInputs.Length; i++)
            {
                var inputGrad = inputGrads[i];
                var input = nodeInputs[i];
                if (inputGrad is null || !input.RequiresGrad) continue;
                if (!Shapes.Equal(inputGrad.Shape, input.Shape))
                    throw new InvalidOperationException(
                        $"Backward of '{node.Name}' returned a gradient of shape {Shapes.Format(inputGrad.Shape)} " +
                        $"for input {i} of shape {Shapes.Format(input.Shape)}.");
                if (AnomalyMode.IsEnabled) CheckFinite(inputGrad, node.Name, nodeInputs, "backward", node.CreationTrace);
                Accumulate(pending, input, inputGrad, ownership);
            }
            if (!retainGraph) node.Release();
        }
        return results;
    }

    /// <summary>
    /// Runs a backward function with the forward checks of the ops it is made of turned off, so that a NaN it
    /// produces is reported by the check of its result: as the backward pass of this node, not the forward pass of a
    /// 'div' or 'mul' inside it.
    /// </summary>
    private static Tensor?[] ApplyWithoutForwardChecks(GradNode node, Tensor grad)
    {
        AnomalyMode.IsEnabled = false;
        try
        {
            return node.Apply(grad);
        }
        finally
        {
            AnomalyMode.IsEnabled = true;
        }
    }

    private static Tensor SeedGradient(Tensor output, Tensor? gradOutput, string caller)
    {
        if (gradOutput is null)
        {
            if (output.Count != 1)
                throw new TensorShapeException(
                    $"{caller}: a gradient can be created implicitly only for an output with one element; this output has shape " +
                    $"{Shapes.Format(output.Shape)}. Pass the gradient of the output explicitly.");
            return Tensor.OnesLike(output);
        }
        if (!Shapes.Equal(gradOutput.Shape, output.Shape) || gradOutput.DType != output.DType)
            throw new TensorShapeException(
                $"{caller}: the output gradient has shape {Shapes.Format(gradOutput.Shape)} ({gradOutput.DType.Name()}) but the " +
                $"output has shape {Shapes.Format(output.Shape)} ({output.DType.Name()}).");
        return gradOutput;
    }

    private static void Accumulate(Dictionary<Tensor, Tensor> pending, Tensor tensor, Tensor grad, GradientOwnership ownership)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(pending, tensor, out bool exists);
        slot = exists ? slot! + grad : grad;
        ownership.Count(slot);
    }

    private static void AccumulateIntoGrad(Tensor tensor, Tensor grad, bool createGraph, bool owned)
    {
        if (tensor.Grad is null)
        {
            // The engine's gradients may be shared between tensors (a + b hands both the same one), so a leaf
            // gets its own copy, which later in-place updates (optimizers) may change freely, unless this
            // pass made the gradient and gave it to this leaf alone.
            tensor.Grad = createGraph ? grad : owned ? grad.Detach() : grad.Detach().Clone();
        }
        else if (createGraph)
        {
            tensor.Grad = tensor.Grad + grad;
        }
        else
        {
            tensor.Grad.AddInPlace(grad);
        }
    }

    /// <summary>Tensors reachable from <paramref name="roots"/>, each after all the tensors it was computed from.</summary>
    private static List<Tensor> TopologicalOrder(IReadOnlyList<Tensor> roots)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        // An explicit stack instead of recursion: a chain of 100,000 ops must not overflow the call stack.
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        foreach (var root in roots)
        {
            if (!visited.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (tensor, next) = stack.Pop();
                var inputs = tensor.GradFn?.InputArray;
                if (inputs is not null && next < inputs.Length)
                {
                    stack.Push((tensor, next + 1));
                    var input = inputs[next];
                    if (input.RequiresGrad && visited.Add(input)) stack.Push((input, 0));
                }
                else
                {
                    order.Add(tensor);
                }
            }
        }
        return order;
    }

    private static void CheckFinite(Tensor tensor, string op, Tensor[] inputs, string pass, string? trace = null)
    {
        if (!tensor.DType.IsFloatingPoint() || tensor.AllFinite()) return;
        var shapes = string.Join(", ", inputs.Select(i => Shapes.Format(i.Shape)));
        throw new AnomalyException(
            $"Anomaly detected: the {pass} pass of '{op}' (input shapes {shapes}) produced NaN or infinity." +
            (trace is null ? "" : Environment.NewLine + "The op was created at:" + Environment.NewLine + trace), op);
    }
}

/// <summary>While alive, ops and backward functions check their results for NaN and infinity.</summary>
public sealed class AnomalyScope : IDisposable
{
    private readonly bool previous;

    internal AnomalyScope()
    {
        previous = AnomalyMode.IsEnabled;
        AnomalyMode.IsEnabled = true;
    }

    /// <summary>Restores the previous anomaly-detection state.</summary>
    public void Dispose() => AnomalyMode.IsEnabled = previous;
}

/// <summary>Thrown by anomaly detection when an op's forward or backward pass produces NaN or infinity.</summary>
public sealed class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception for op <paramref name="op"/>.</summary>
    public AnomalyException(string message, string op) : base(message) => Op = op;

    /// <summary>The name of the op that produced the non-finite value.</summary>
    public string Op { get; }
}

/// <summary>
/// Tracks, during one backward pass, which gradient storages were handed out more than once (a + b gives both
/// inputs the same gradient) or existed before the pass began (the caller's output gradient, a saved tensor a
/// custom backward returned): only a gradient that is neither may become a leaf's Grad without a copy.
/// </summary>
internal sealed class GradientOwnership(long firstSerial)
{
    private readonly Dictionary<Array, int> uses = new(ReferenceEqualityComparer.Instance);

    public void Count(Tensor gradient) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(uses, gradient.storage, out _)++;

    public void MarkShared(Tensor gradient) => uses[gradient.storage] = 2;

    public bool IsExclusive(Tensor gradient) =>
        gradient.StorageSerial > firstSerial && uses.TryGetValue(gradient.storage, out int count) && count == 1;
}

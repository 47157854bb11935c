using System.Globalization;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Seed;

/// <summary>
/// Seed 004's multi-layer perceptron (task 3.5), with its exact semantics: for each layer, <see cref="Linear"/>,
/// then <see cref="BatchNorm"/> for the first <c>numBnLayers</c> layers, then the activation. Training is the
/// seed's loop: <see cref="ZeroGrads"/>, <see cref="Forward"/>, <see cref="Backward"/>, <see cref="Step"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Backward"/> propagates the criterion's derivative (softmax(x) - y for
/// <see cref="SoftmaxCrossEntropy"/>, not divided by the batch size) through the network in one autograd pass, so the
/// linear layers' <c>DW</c> and <c>DB</c> are averaged over the batch while BatchNorm's <c>DGamma</c> and <c>DBeta</c>
/// are sums over it, as the seed specifies: the same values each layer's own <c>Backward</c> gives.</para>
/// <para><see cref="Step"/> applies the seed's momentum rule (dW_k = beta dW_(k-1) - lr grad; W_k = W_(k-1) + dW_k)
/// to the linear layers through an <see cref="SGD"/> optimizer, and plain gradient steps to gamma and beta.</para>
/// <para>The core modules are registered under the indices an equivalent <see cref="Sequential"/> would give them
/// (<c>0.weight</c>, <c>1.running_mean</c>, ...), so state dicts line up with PyTorch's <c>nn.Sequential</c>.</para>
/// </remarks>
public sealed class MLP : Module
{
    private readonly List<Func<Tensor, Tensor>> sequence = [];
    private readonly Loss criterion;
    private readonly Compiled.ReplayCache<(Tensor Loss, Tensor Errors)> steps = new();
    private string? notPlannedReason;
    private int lastBatchSize;

    /// <summary>
    /// Builds the network. <paramref name="activations"/> has one entry per hidden layer plus one for the
    /// output; <paramref name="weightInitFn"/>(in, out) and <paramref name="biasInitFn"/>(out) initialize each
    /// linear layer (null for PyTorch's default initialization); the dtype of the weights they return is the
    /// network's dtype.
    /// </summary>
    public MLP(int inputSize, int outputSize, IReadOnlyList<int> hiddens, IReadOnlyList<Activation> activations,
        Func<int, int, Tensor>? weightInitFn, Func<int, Tensor>? biasInitFn, Loss criterion, double lr,
        double momentum = 0, int numBnLayers = 0)
    {
        ArgumentNullException.ThrowIfNull(hiddens);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(criterion);
        if (inputSize <= 0) throw Invalid(nameof(inputSize), inputSize, "must be positive");
        if (outputSize <= 0) throw Invalid(nameof(outputSize), outputSize, "must be positive");
        for (int i = 0; i < hiddens.Count; i++)
            if (hiddens[i] <= 0) throw Invalid(nameof(hiddens), hiddens[i], $"hidden layer {i} must have a positive size");
        if (activations.Count != hiddens.Count + 1)
            throw Invalid(nameof(activations), activations.Count, $"needs one activation per hidden layer plus one for the output ({hiddens.Count + 1})");
        if (numBnLayers < 0 || numBnLayers > hiddens.Count)
            throw Invalid(nameof(numBnLayers), numBnLayers, $"must be between 0 and the number of hidden layers ({hiddens.Count})");

        this.criterion = criterion;
        int[] sizes = [inputSize, .. hiddens, outputSize];
        var linears = new List<Linear>();
        var norms = new List<BatchNorm>();
        for (int i = 0; i < sizes.Length - 1; i++)
        {
            var linear = new Linear(sizes[i], sizes[i + 1], weightInitFn, biasInitFn);
            linears.Add(linear);
            Append(linear.Module, linear.Forward);
            if (i < numBnLayers)
            {
                var norm = new BatchNorm(sizes[i + 1], dtype: linear.W.DType);
                norms.Add(norm);
                Append(norm.Module, x => norm.Forward(x, eval: !IsTraining));
            }
            var activation = activations[i] ?? throw Invalid(nameof(activations), "null", $"activation {i} is null");
            Append(activation.Function, activation.Forward);
        }
        Activations = activations.ToArray();
        BnLayers = norms;

        var linearParameters = linears.SelectMany(l => l.Module.Parameters());
        var normParameters = norms.SelectMany(n => n.Module.Parameters()).ToArray();
        List<ParameterGroup> groups = [new ParameterGroup(linearParameters, lr, new Dictionary<string, double> { ["momentum"] = momentum })];
        if (normParameters.Length > 0)
            groups.Add(new ParameterGroup(normParameters, lr, new Dictionary<string, double> { ["momentum"] = 0 }));
        Optimizer = new SGD(groups, lr);
        foreach (var linear in linears) linear.Optimizer = Optimizer;
        LinearLayers = linears;
    }

    private void Append(Module module, Func<Tensor, Tensor> forward)
    {
        RegisterModule(sequence.Count.ToString(CultureInfo.InvariantCulture), module);
        sequence.Add(forward);
    }

    private static ArgumentException Invalid(string name, object value, string rule) =>
        new(string.Create(CultureInfo.InvariantCulture, $"MLP: invalid {name} ({value}): {rule}."), name);

    /// <summary>The linear layers, input first, with the seed's W, B, DW, DB, MomentumW and MomentumB.</summary>
    public IReadOnlyList<Linear> LinearLayers { get; }

    /// <summary>The BatchNorm layers that follow the first <c>numBnLayers</c> linear layers.</summary>
    public IReadOnlyList<BatchNorm> BnLayers { get; }

    /// <summary>The activation after each linear layer.</summary>
    public IReadOnlyList<Activation> Activations { get; }

    /// <summary>The optimizer that <see cref="Step"/> runs (momentum on the linear layers only).</summary>
    public SGD Optimizer { get; }

    /// <summary>The output of the last <see cref="Forward"/> (the logits), or null.</summary>
    public Tensor? Output { get; private set; }

    /// <summary>
    /// Runs a mini-batch (batch, inputSize) through the network and returns (batch, outputSize). The input is checked
    /// before any layer runs, so one that does not fit changes no layer's state.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var first = LinearLayers[0].Module;
        if (input.Rank == 0 || input.Shape[^1] != first.InFeatures || (BnLayers.Count > 0 && (input.Rank != 2 || (IsTraining && input.Shape[0] < 1))))
            throw new TensorShapeException(
                $"MLP: expected input of shape (batch, {first.InFeatures}){(BnLayers.Count > 0 ? " with at least one row" : "")}, got {Shapes.Format(input.Shape)}.", nameof(input));
        if (input.DType != first.W.DType)
            throw new TensorShapeException($"MLP: input is {input.DType.Name()} but the network is {first.W.DType.Name()}; convert one with To(DType).", nameof(input));
        var x = input;
        foreach (var forward in sequence) x = forward(x);
        lastBatchSize = input.Rank == 2 ? input.Shape[0] : 1;
        Output = x;
        return x;
    }

    /// <summary>
    /// Computes the gradients of the loss of the last forward pass against <paramref name="labels"/> (one-hot
    /// rows or class indices): DW and DB averaged over the batch, DGamma and DBeta summed over it.
    /// </summary>
    public void Backward(Tensor labels)
    {
        var output = RequireOutput(nameof(Backward));
        var parameters = Parameters().ToArray();
        var grads = Autograd.Grad([criterion.PerElement(output, labels).Sum()], parameters, materializeGrads: true);
        var averaged = new HashSet<Tensor>(LinearLayers.SelectMany(l => l.Module.Parameters()), ReferenceEqualityComparer.Instance);
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].Grad = averaged.Contains(parameters[i]) ? grads[i]! / lastBatchSize : grads[i];
        }
    }

    /// <summary>Sets every gradient to zero (seed 004's zero_grads).</summary>
    public void ZeroGrads()
    {
        foreach (var p in Parameters()) p.Grad = Tensor.ZerosLike(p);
    }

    /// <summary>Applies the gradients from <see cref="Backward"/>: momentum steps on linear layers, plain steps on BatchNorm.</summary>
    public void Step() => Optimizer.Step();

    /// <summary>The sum of the per-example losses of the last forward pass.</summary>
    public double TotalLoss(Tensor labels) => LossSum(labels, nameof(TotalLoss)).Item();

    /// <summary>The number of examples of the last forward pass whose largest output is not their label.</summary>
    public int Error(Tensor labels) => (int)Misclassified(labels, nameof(Error)).Item();

    /// <summary><see cref="TotalLoss"/> as a 0-d tensor, computed by ops (so that a step can record it).</summary>
    private Tensor LossSum(Tensor labels, string caller)
    {
        var output = RequireOutput(caller);
        using (Autograd.NoGrad()) return criterion.PerElement(output, labels).Sum();
    }

    /// <summary><see cref="Error"/> as a 0-d tensor, computed by ops (so that a step can record it).</summary>
    private Tensor Misclassified(Tensor labels, string caller)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var output = RequireOutput(caller);
        using (Autograd.NoGrad())
        {
            var predicted = output.ArgMax(-1);
            var truth = labels.DType == DType.Int64 ? labels.Reshape(-1) : labels.ArgMax(-1);
            if (truth.Count != predicted.Count)
                throw new TensorShapeException($"MLP.Error: labels of shape {Shapes.Format(labels.Shape)} do not match outputs of shape {Shapes.Format(output.Shape)}.", nameof(labels));
            return predicted.Ne(truth).Sum();
        }
    }

    /// <summary>
    /// One step of the seed's loop on a mini-batch: <see cref="ZeroGrads"/>, <see cref="Forward"/>, <see cref="Backward"/>,
    /// <see cref="Step"/>, then <see cref="ZeroGrads"/> again; returns the batch's <see cref="TotalLoss"/> and
    /// <see cref="Error"/>. The first batch of each shape runs as those calls do and is recorded; later batches of that
    /// shape replay the recorded kernels, with the same numbers and without allocating.
    /// </summary>
    public (double Loss, int Errors) TrainStep(Tensor x, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        if (notPlannedReason is not null)
        {
            var (loss, errors) = ForwardAndBackward(x, labels);
            Step();
            ZeroGrads();
            return (loss.Item(), (int)errors.Item());
        }
        var program = steps.Find(x, labels, IsTraining, out var result);
        if (program is null) return RecordStep(x, labels);
        program.Bind(x, labels);
        program.Run(0);
        Step();
        program.Run(1);
        return (result.Loss.GetDouble(0), (int)result.Errors.GetDouble(0));
    }

    /// <summary>Why <see cref="TrainStep"/> runs the calls eagerly instead of replaying them; null while it replays.</summary>
    public string? NotPlannedReason => notPlannedReason;

    private (double Loss, int Errors) RecordStep(Tensor x, Tensor labels)
    {
        Tensor[] placeholders = [x.Detach(), labels.Detach()];
        Tensor loss, wrong;
        Compiled.ReplayProgram? replay;
        string? reason;
        using (Compiled.Recording.Start(out var recording))
        {
            (loss, wrong) = ForwardAndBackward(placeholders[0], placeholders[1]);
            var first = recording.TakeLaunches();
            using (recording.Suspend()) Step();
            ZeroGrads();
            replay = Compiled.ReplayProgram.Create(recording, placeholders, [first, recording.TakeLaunches()], out reason);
        }
        if (replay is null) notPlannedReason = reason;
        else steps.Add(replay, IsTraining, (loss, wrong));
        return (loss.GetDouble(0), (int)wrong.GetDouble(0));
    }

    /// <summary>The seed loop up to the step: ZeroGrads, Forward, Backward, and the batch's loss and errors as 0-d tensors.</summary>
    private (Tensor Loss, Tensor Errors) ForwardAndBackward(Tensor x, Tensor labels)
    {
        ZeroGrads();
        Forward(x);
        Backward(labels);
        return (LossSum(labels, nameof(TrainStep)), Misclassified(labels, nameof(TrainStep)));
    }

    private Tensor RequireOutput(string method) =>
        Output ?? throw new InvalidOperationException($"MLP.{method}: call Forward first.");
}

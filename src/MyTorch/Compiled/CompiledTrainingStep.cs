using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Compiled;

/// <summary>
/// One training step of a model — forward pass, loss, backward pass and optimizer step — recorded once per batch shape
/// and then replayed on every batch of that shape with no graph and no allocation: every activation, gradient and
/// scratch tensor the recorded step made is kept and written again.
/// </summary>
/// <remarks>
/// <para>
/// The dynamic graph (<see cref="Tensor.Backward"/>) builds nodes and allocates every intermediate tensor on every
/// step; that freedom is what a learner or a new architecture needs. A model does the same work each step, so the first
/// step of a shape runs through the graph while a <see cref="Recording"/> keeps every kernel launch of its forward
/// pass, loss and backward pass; later steps replay those launches, then the optimizer's own
/// <see cref="Optimizer.Step"/> runs.
/// </para>
/// <para>
/// The numbers are those of the graph by construction: a replay runs the graph's own kernels in the same order, so a
/// step gives bit-for-bit the same loss, gradients and parameters as <c>ZeroGrad(); loss =
/// criterion.Forward(model.Forward(x), y); loss.Backward(); Step()</c> (the tests check this for every layer, loss,
/// optimizer and dtype, with batches of changing size).
/// </para>
/// <para>
/// Any model and loss built from the library's ops can be replayed; a loss with <see cref="Reduction.None"/> is refused
/// by <see cref="TryCompile"/>. A model that reads tensor values in C# to decide something cannot be: its steps run
/// through the graph, with the same numbers, and <see cref="NotPlannedReason"/> names where.
/// </para>
/// </remarks>
/// <example><code>
/// var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), optimizer);
/// foreach (var (x, y) in loader) { double loss = step.Run(x, y); }
/// </code></example>
public sealed class CompiledTrainingStep
{
    private readonly StepPlan plan;

    private CompiledTrainingStep(StepPlan plan) => this.plan = plan;

    /// <summary>
    /// The model's outputs (rows, outputs) for the batch of the last <see cref="Run"/>, computed before the optimizer
    /// step, for metrics such as the training accuracy; null before the first run. The tensor is reused: it holds the
    /// outputs only until the next run.
    /// </summary>
    public Tensor? Outputs => plan.Outputs;

    /// <summary>The optimizer the step calls.</summary>
    public Optimizer Optimizer => plan.Optimizer;

    /// <summary>
    /// Plans a step for <paramref name="model"/> trained with <paramref name="criterion"/> and <paramref name="optimizer"/>;
    /// null, with the reason, when the model, loss or optimizer has something the plan does not support.
    /// </summary>
    public static CompiledTrainingStep? TryCompile(Module model, Loss criterion, Optimizer optimizer, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(criterion);
        ArgumentNullException.ThrowIfNull(optimizer);
        var plan = StepPlan.TryCreate(model, criterion, optimizer, out reason);
        return plan is null ? null : new CompiledTrainingStep(plan);
    }

    /// <summary>Plans a step as <see cref="TryCompile"/> does.</summary>
    /// <exception cref="NotSupportedException">The model, loss or optimizer has something the plan does not support (the message says what).</exception>
    public static CompiledTrainingStep Compile(Module model, Loss criterion, Optimizer optimizer) =>
        TryCompile(model, criterion, optimizer, out string? reason)
        ?? throw new NotSupportedException($"CompiledTrainingStep: {reason} Train with the dynamic graph (Backward) instead.");

    /// <summary>
    /// Runs one step on a batch: forward pass, loss, gradients of every parameter that requires grad (replacing
    /// their <see cref="Tensor.Grad"/>, as after ZeroGrad and Backward) and <see cref="Optimizer.Step"/>. Returns the
    /// loss. A NaN or infinite loss is returned without computing gradients or changing any parameter.
    /// </summary>
    /// <param name="inputs">The batch, shape (rows, input features), the parameters' dtype.</param>
    /// <param name="targets">Class indices (int64, shape (rows,)) for cross-entropy; for MSE the outputs' shape and dtype.</param>
    /// <exception cref="TensorShapeException">A shape, dtype or class index does not fit the model.</exception>
    /// <remarks>
    /// Inside an <see cref="Autograd.DetectAnomaly"/> scope the step runs through the dynamic graph instead, so that
    /// every op and backward function is checked (same numbers, slower). The plan reads the layers it was compiled
    /// from: compile again after adding or removing layers.
    /// </remarks>
    public double Run(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        return Autograd.IsAnomalyDetectionEnabled ? plan.GraphStep(inputs, targets) : plan.Run(inputs, targets);
    }

    /// <summary>
    /// Why the steps run through the dynamic graph instead of replaying a recorded step (something in the model or loss
    /// computes on the host from values that change between steps); null while they replay.
    /// </summary>
    public string? NotPlannedReason => plan.NotPlannedReason;
}

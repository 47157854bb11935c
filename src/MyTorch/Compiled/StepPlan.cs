using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Compiled;

/// <summary>The layers of a supported model, in order, with what each computes.</summary>
internal enum StepOpKind
{
    Linear,
    Relu,
    LeakyRelu,
    Sigmoid,
    Tanh,

    /// <summary>BatchNorm1d in evaluation mode (running statistics): inference plans only.</summary>
    BatchNorm,
}

/// <summary>One layer of a plan: a linear map or an element-wise activation on the rows of a batch.</summary>
internal sealed record StepOp(StepOpKind Kind, int InWidth, int OutWidth, Linear? Linear = null, double Slope = 0, BatchNorm1d? Norm = null);

/// <summary>A <see cref="CompiledTrainingStep"/>'s layers, loss and optimizer, independent of the element type.</summary>
internal abstract class StepPlan(Module model, Loss criterion, Optimizer optimizer)
{
    public Module Model { get; } = model;

    public Loss Criterion { get; } = criterion;

    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>
    /// The step through the dynamic graph, for anomaly detection, which checks every op the graph runs. Stops before
    /// Backward when the loss is not finite, as the planned step does.
    /// </summary>
    public (double Loss, Tensor Outputs) GraphStep(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var outputs = Model.Forward(inputs);
        var loss = Criterion.Forward(outputs, targets);
        double value = loss.Item();
        if (!double.IsFinite(value)) return (value, outputs);
        loss.Backward();
        Optimizer.Step();
        return (value, outputs);
    }

    public abstract double Run(Tensor inputs, Tensor targets);

    /// <summary>The model's outputs for the last batch run; null before the first.</summary>
    public abstract Tensor? Outputs { get; }

    /// <summary>The plan for the model, or null with the reason it is not supported.</summary>
    public static StepPlan? TryCreate(Module model, Loss criterion, Optimizer optimizer, out string? reason)
    {
        if (!TryFlatten(model, inference: false, out var ops, out var dtype, out reason)) return null;
        bool crossEntropy = criterion is CrossEntropyLoss;
        if (!crossEntropy && criterion is not MSELoss)
        {
            reason = $"the loss {criterion.GetType().Name} is not supported (CrossEntropyLoss and MSELoss are).";
            return null;
        }
        if (criterion.Reduction == Reduction.None)
        {
            reason = "a loss with Reduction.None gives no single loss to differentiate.";
            return null;
        }
        // TryFlatten accepts float32 and float64 parameters only.
        return dtype == DType.Float32
            ? new StepPlan<float>(model, ops, criterion, crossEntropy, optimizer)
            : new StepPlan<double>(model, ops, criterion, crossEntropy, optimizer);
    }

    /// <summary>
    /// The model's layers as a flat list with their widths and the parameters' dtype (float32 or float64); false, with
    /// the reason, when a layer is not supported. For <paramref name="inference"/>, dropout of any rate is the identity
    /// and BatchNorm1d normalizes with its running statistics (evaluation mode); for training only dropout with p = 0
    /// is accepted, and no BatchNorm1d.
    /// </summary>
    public static bool TryFlatten(Module model, bool inference, out StepOp[] layers, out DType dtype, out string? reason)
    {
        layers = [];
        dtype = DType.Float32;
        var ops = new List<StepOp>();
        reason = Flatten(model, ops, inference);
        if (reason is not null) return false;
        if (ops.Count == 0 || ops[0].Kind != StepOpKind.Linear)
        {
            reason = "the model must start with a Linear layer.";
            return false;
        }
        // Widths: an activation keeps the width of what precedes it.
        for (int i = 1; i < ops.Count; i++)
        {
            var op = ops[i];
            int width = ops[i - 1].OutWidth;
            if (op.Norm is { } norm && norm.NumFeatures != width)
            {
                reason = $"layer {i} (BatchNorm1d({norm.NumFeatures})) follows a layer of width {width}.";
                return false;
            }
            if (op.Kind != StepOpKind.Linear) ops[i] = op with { InWidth = width, OutWidth = width };
            else if (op.InWidth != width)
            {
                reason = $"layer {i} (Linear({op.InWidth} -> {op.OutWidth})) follows a layer of width {width}.";
                return false;
            }
        }
        dtype = ops[0].Linear!.W.DType;
        foreach (var op in ops)
        {
            if (op.Linear is { } linear && (linear.W.DType != dtype || (linear.B is { } b && b.DType != dtype)))
            {
                reason = "the Linear layers' parameters have different dtypes.";
                return false;
            }
            if (op.Norm is { } n && (n.Gamma.DType != dtype || n.Beta.DType != dtype || n.RunningMean.DType != dtype || n.RunningVar.DType != dtype))
            {
                reason = "a BatchNorm1d layer's parameters or statistics have another dtype than the Linear layers'.";
                return false;
            }
        }
        if (dtype is not (DType.Float32 or DType.Float64))
        {
            reason = $"the parameters are {dtype.Name()}; float32 and float64 are supported.";
            return false;
        }
        layers = [.. ops];
        return true;
    }

    /// <summary>Throws when a batch of <paramref name="rows"/> would need a layer buffer larger than one array holds.</summary>
    public static void CheckActivationSize(string owner, int rows, int maxWidth, string paramName)
    {
        long needed = (long)rows * maxWidth;
        if (needed > Array.MaxLength)
            throw new TensorShapeException(
                $"{owner}: a batch of {rows} rows needs activations of {needed} elements per layer, more than one array holds; use smaller batches.",
                paramName);
    }

    /// <summary>Appends the layers of <paramref name="module"/>; returns why one is not supported, or null.</summary>
    private static string? Flatten(Module module, List<StepOp> ops, bool inference)
    {
        switch (module)
        {
            case Sequential sequential:
                for (int i = 0; i < sequential.Count; i++)
                {
                    if (Flatten(sequential[i], ops, inference) is { } reason) return reason;
                }
                return null;
            case Linear linear:
                ops.Add(new StepOp(StepOpKind.Linear, linear.InFeatures, linear.OutFeatures, linear));
                return null;
            case Identity:
                return null; // passes its input through; the graph records nothing for it either
            case Dropout { P: 0 }:
                return null;
            case Dropout when inference:
                return null; // evaluation mode passes the input through
            case BatchNorm1d norm when inference:
                ops.Add(new StepOp(StepOpKind.BatchNorm, 0, 0, Norm: norm));
                return null;
            case ReLU:
                ops.Add(new StepOp(StepOpKind.Relu, 0, 0));
                return null;
            case LeakyReLU leaky:
                ops.Add(new StepOp(StepOpKind.LeakyRelu, 0, 0, Slope: leaky.NegativeSlope));
                return null;
            case Sigmoid:
                ops.Add(new StepOp(StepOpKind.Sigmoid, 0, 0));
                return null;
            case Tanh:
                ops.Add(new StepOp(StepOpKind.Tanh, 0, 0));
                return null;
            case Dropout:
                return "Dropout with p > 0 is not supported.";
            default:
                return $"the layer {module.GetType().Name} is not supported.";
        }
    }
}

/// <summary>The buffers and kernels of a plan for element type <typeparamref name="T"/>.</summary>
internal sealed class StepPlan<T> : StepPlan
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly StepOp[] ops;
    private readonly Loss criterion;
    private readonly bool crossEntropy;
    private readonly T[] slopes;
    private readonly Tensor?[] weightGrads, biasGrads;
    private readonly int maxWidth;

    private int capacity;
    private T[][] outputs = [];        // outputs[i]: the output of op i, capacity x OutWidth; the last is the Outputs tensor's
    private Tensor? lastOutputs, fullOutputs, otherOutputs; // the model's outputs for the full batch size and for one other
    private T[] gradient = [], gradientNext = [], probabilities = [], rowLosses = [], upstream = [];

    public StepPlan(Module model, StepOp[] ops, Loss criterion, bool crossEntropy, Optimizer optimizer) : base(model, criterion, optimizer)
    {
        this.ops = ops;
        this.criterion = criterion;
        this.crossEntropy = crossEntropy;
        slopes = new T[ops.Length];
        weightGrads = new Tensor?[ops.Length];
        biasGrads = new Tensor?[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            slopes[i] = T.CreateTruncating(ops[i].Slope);
            maxWidth = Math.Max(maxWidth, Math.Max(ops[i].InWidth, ops[i].OutWidth));
        }
    }

    public override Tensor? Outputs => lastOutputs;

    private int InputWidth => ops[0].InWidth;

    private int OutputWidth => ops[^1].OutWidth;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override double Run(Tensor inputs, Tensor targets)
    {
        int rows = CheckInputs(inputs, targets);
        EnsureCapacity(rows);
        SelectOutputs(rows);
        Optimizer.ZeroGrad();

        // Forward.
        ReadOnlySpan<T> x = inputs.Elements<T>();
        for (int i = 0; i < ops.Length; i++)
        {
            var y = outputs[i].AsSpan(0, rows * ops[i].OutWidth);
            Forward(i, rows, x, y);
            x = y;
        }

        T loss = crossEntropy ? CrossEntropyForward(rows, targets) : SquaredErrorForward(rows, targets);
        if (!T.IsFinite(loss)) return double.CreateTruncating(loss);

        // Backward: `gradient` holds dL/d(output of op i) on entry to op i's step.
        if (crossEntropy) CrossEntropyBackward(rows, targets);
        else SquaredErrorBackward(rows, targets);
        for (int i = ops.Length - 1; i >= 0; i--)
        {
            var input = i == 0 ? inputs.Elements<T>().AsSpan() : outputs[i - 1].AsSpan(0, rows * ops[i].InWidth);
            bool needInputGradient = i > 0; // the batch itself needs no gradient
            Backward(i, rows, input, needInputGradient);
            if (needInputGradient) (gradient, gradientNext) = (gradientNext, gradient);
        }

        Optimizer.Step();
        return double.CreateTruncating(loss);
    }

    private int CheckInputs(Tensor inputs, Tensor targets)
    {
        var dtype = DTypeOfT;
        if (inputs.Rank != 2 || inputs.Shape[1] != InputWidth || inputs.Shape[0] == 0 || inputs.DType != dtype)
            throw new TensorShapeException(
                $"CompiledTrainingStep: inputs must be a non-empty {dtype.Name()} batch of shape (rows, {InputWidth}); got " +
                $"{inputs.DType.Name()} of shape {Shapes.Format(inputs.Shape)}.", nameof(inputs));
        int rows = inputs.Shape[0];
        CheckActivationSize("CompiledTrainingStep", rows, maxWidth, nameof(inputs));
        if (crossEntropy)
        {
            if (targets.DType != DType.Int64 || targets.Rank != 1 || targets.Shape[0] != rows)
                throw new TensorShapeException(
                    $"CrossEntropyLoss: target must hold int64 class indices of shape ({rows},), one per row of the input; got " +
                    $"{targets.DType.Name()} of shape {Shapes.Format(targets.Shape)}.", nameof(targets));
            var classes = targets.I64;
            for (int i = 0; i < classes.Length; i++)
            {
                if ((ulong)classes[i] >= (ulong)OutputWidth)
                    throw new TensorShapeException(
                        $"CrossEntropyLoss: target {i} is class {classes[i]}, outside [0, {OutputWidth}) for {OutputWidth} classes.",
                        nameof(targets));
            }
        }
        else if (targets.DType != dtype || targets.Rank != 2 || targets.Shape[0] != rows || targets.Shape[1] != OutputWidth)
        {
            throw new TensorShapeException(
                $"MSELoss: target must have the outputs' shape ({rows}, {OutputWidth}) and dtype {dtype.Name()}; got " +
                $"{targets.DType.Name()} of shape {Shapes.Format(targets.Shape)}.", nameof(targets));
        }
        return rows;
    }

    /// <summary>Grows the buffers to hold <paramref name="rows"/> rows; a steady state of equal batches never grows them.</summary>
    private void EnsureCapacity(int rows)
    {
        if (rows <= capacity) return;
        outputs = new T[ops.Length][];
        for (int i = 0; i < ops.Length - 1; i++) outputs[i] = new T[rows * ops[i].OutWidth];
        fullOutputs = null;
        gradient = new T[rows * maxWidth];
        gradientNext = new T[rows * maxWidth];
        probabilities = new T[rows * OutputWidth];
        rowLosses = new T[crossEntropy ? rows : rows * OutputWidth];
        upstream = new T[rows];
        capacity = rows;
    }

    /// <summary>
    /// Makes the last layer write into a tensor of exactly rows x outputs, so that <see cref="Outputs"/> needs no copy:
    /// one for the largest batch and one for another size (an epoch's last batch), so steady state allocates nothing.
    /// </summary>
    private void SelectOutputs(int rows)
    {
        ref var slot = ref rows == capacity ? ref fullOutputs : ref otherOutputs;
        if (slot is null || slot.Shape[0] != rows) slot = Tensor.Empty([rows, OutputWidth], DTypeOfT);
        lastOutputs = slot;
        outputs[^1] = slot.Elements<T>();
    }

    private static DType DTypeOfT => typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;

    private void Forward(int i, int rows, ReadOnlySpan<T> x, Span<T> y) => PlannedLayers<T>.Forward(ops[i], slopes[i], rows, x, y, KernelOptions.MaxThreads);

    /// <summary>
    /// Op i's backward step: reads dL/d(output) from <see cref="gradient"/>, writes the parameters' gradients and,
    /// when asked, dL/d(input) into <see cref="gradientNext"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Backward(int i, int rows, ReadOnlySpan<T> input, bool needInputGradient)
    {
        var op = ops[i];
        var g = gradient.AsSpan(0, rows * op.OutWidth);
        var dx = gradientNext.AsSpan(0, rows * op.InWidth);
        var y = outputs[i].AsSpan(0, rows * op.OutWidth);
        switch (op.Kind)
        {
            case StepOpKind.Linear:
                LinearBackward(i, rows, input, g, needInputGradient ? dx : default);
                break;
            case StepOpKind.Relu:
                ActivationKernels.ReluBackward<T>(g, input, dx);
                break;
            case StepOpKind.Sigmoid:
                for (int j = 0; j < dx.Length; j++) dx[j] = g[j] * y[j] * (T.One - y[j]);
                break;
            case StepOpKind.Tanh:
                for (int j = 0; j < dx.Length; j++) dx[j] = g[j] * (T.One - (y[j] * y[j]));
                break;
            case StepOpKind.LeakyRelu:
                T slope = slopes[i];
                for (int j = 0; j < dx.Length; j++) dx[j] = g[j] * PlannedLayers<T>.LeakyFactor(input[j], slope);
                break;
        }
    }

    /// <summary>LinearFunction's backward: dW = xᵀ g and db = the column sums of g into the parameters' gradients, dx = g Wᵀ.</summary>
    private void LinearBackward(int i, int rows, ReadOnlySpan<T> x, ReadOnlySpan<T> g, Span<T> dx)
    {
        var op = ops[i];
        var linear = op.Linear!;
        if (linear.W.RequiresGrad)
        {
            var dw = GradientOf(linear.W, ref weightGrads[i]);
            Gemm.Multiply(true, false, op.InWidth, op.OutWidth, rows, x, op.InWidth, g, op.OutWidth, dw, op.OutWidth);
        }
        if (linear.B is { RequiresGrad: true } bias)
        {
            var db = GradientOf(bias, ref biasGrads[i]);
            ReductionKernels.Sum<T>(g, 1, rows, op.OutWidth, db);
        }
        if (!dx.IsEmpty)
            Gemm.Multiply(false, true, rows, op.InWidth, op.OutWidth, g, op.OutWidth, linear.W.Elements<T>(), op.OutWidth, dx, op.InWidth);
    }

    /// <summary>The parameter's gradient tensor, made once and handed to it again after every ZeroGrad.</summary>
    private static Span<T> GradientOf(Tensor parameter, ref Tensor? kept)
    {
        if (kept is null || !Shapes.Equal(kept.Shape, parameter.Shape) || kept.DType != parameter.DType)
            kept = Tensor.Empty(parameter.ShapeArray, parameter.DType);
        parameter.Grad = kept;
        return kept.Elements<T>();
    }

    // ---- losses: the kernels and the rounding of CrossEntropyLoss / MSELoss with their reductions ----------------

    private T Reduce(ReadOnlySpan<T> values)
    {
        // Loss.Reduce: Sum() is one TensorPrimitives.Sum; Mean() divides it by the element count.
        T sum = TensorPrimitives.Sum(values);
        return criterion.Reduction == Reduction.Mean ? sum / T.CreateTruncating(Math.Max(values.Length, 1)) : sum;
    }

    /// <summary>dL/d(per-element loss): 1 / count for a mean (the division's backward of a gradient of one), else 1.</summary>
    private T Upstream(int count) =>
        criterion.Reduction == Reduction.Mean ? T.One / T.CreateTruncating(Math.Max(count, 1)) : T.One;

    private T CrossEntropyForward(int rows, Tensor targets)
    {
        var losses = rowLosses.AsSpan(0, rows);
        CrossEntropyFunction.Rows<T>(outputs[^1].AsSpan(0, rows * OutputWidth), targets.I64, probabilities, losses, OutputWidth);
        return Reduce(losses);
    }

    private void CrossEntropyBackward(int rows, Tensor targets)
    {
        var u = upstream.AsSpan(0, rows);
        u.Fill(Upstream(rows));
        CrossEntropyFunction.Gradient<T>(probabilities.AsSpan(0, rows * OutputWidth), u, gradient.AsSpan(0, rows * OutputWidth),
            targets.I64, OutputWidth);
    }

    private T SquaredErrorForward(int rows, Tensor targets)
    {
        // MSELoss: d = x - t, per-element loss d * d.
        int count = rows * OutputWidth;
        var output = outputs[^1].AsSpan(0, count);
        var difference = probabilities.AsSpan(0, count);
        var squares = rowLosses.AsSpan(0, count);
        TensorPrimitives.Subtract(output, targets.Elements<T>(), difference);
        TensorPrimitives.Multiply(difference, difference, squares);
        return Reduce(squares);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void SquaredErrorBackward(int rows, Tensor targets)
    {
        // d * d's backward hands u * d to both factors of the same tensor, which the engine adds: u*d + u*d;
        // the subtraction passes it to x unchanged.
        int count = rows * OutputWidth;
        T u = Upstream(count);
        var difference = probabilities.AsSpan(0, count);
        var g = gradient.AsSpan(0, count);
        for (int j = 0; j < count; j++)
        {
            T half = u * difference[j];
            g[j] = half + half;
        }
    }
}

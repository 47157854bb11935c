using MyTorch.NN;

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

/// <summary>The layer chains the row-blocked inference plan runs.</summary>
internal static class LayerChain
{
    /// <summary>
    /// The model's layers as a flat list with their widths and the parameters' dtype (float32 or float64); false, with
    /// the reason, when a layer is not supported. For <paramref name="inference"/>, dropout of any rate is the identity
    /// and BatchNorm1d normalizes with its running statistics (evaluation mode); for training only dropout with p = 0
    /// is accepted, and no BatchNorm1d.
    /// </summary>
    public static bool TryFlatten(Module model, bool inference, out StepOp[] layers, out DType dtype, out string? reason, out bool invalid)
    {
        layers = [];
        dtype = DType.Float32;
        invalid = false; // true when the layers cannot run at all (widths that do not follow), not just outside the chain plan
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
                invalid = true;
                return false;
            }
            if (op.Kind != StepOpKind.Linear) ops[i] = op with { InWidth = width, OutWidth = width };
            else if (op.InWidth != width)
            {
                reason = $"layer {i} (Linear({op.InWidth} -> {op.OutWidth})) follows a layer of width {width}.";
                invalid = true;
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

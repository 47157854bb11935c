using MyTorch.Optim;

namespace MyTorch.Seed;

/// <summary>
/// Seed 004's linear layer (task 3.4): z = x W + b with W (in, out) and b (1, out). <see cref="Backward"/> takes
/// delta = dL/dz, stores <see cref="DW"/> and <see cref="DB"/> averaged over the batch (the seed's "gradients of the
/// loss averaged across the batch") and returns dx = dL/dx, not averaged.
/// </summary>
/// <remarks>
/// The layer is a core <see cref="NN.Linear"/> (<see cref="Module"/>); its backward is the core op's, by autograd.
/// <see cref="DW"/> and <see cref="DB"/> live in the parameters' <see cref="Tensor.Grad"/>, where an optimizer finds
/// them; the PyTorch-style module itself gives the batch sums x^T delta and sum delta when used with a summed loss.
/// </remarks>
/// <example><code>
/// var layer = new Linear(3, 2);
/// var z = layer.Forward(x);            // (batch, 2)
/// var dx = layer.Backward(delta);      // (batch, 3); layer.DW = x^T delta / batch, layer.DB = mean of delta's rows
/// </code></example>
public sealed class Linear
{
    private Tensor? input;

    /// <summary>
    /// Creates the layer; <paramref name="weightInitFn"/>(in, out) and <paramref name="biasInitFn"/>(out) initialize W and
    /// b (the seed's weight_init_fn and bias_init_fn; null for PyTorch's default), and the dtype of what they return is the layer's.
    /// </summary>
    public Linear(int inFeature, int outFeature, Func<int, int, Tensor>? weightInitFn = null, Func<int, Tensor>? biasInitFn = null,
        DType dtype = DType.Float32)
        : this(new NN.Linear(inFeature, outFeature, dtype: dtype, weightInit: weightInitFn, biasInit: biasInitFn)) { }

    /// <summary>Gives <paramref name="module"/>, which must have a bias, the seed's interface.</summary>
    public Linear(NN.Linear module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.B is null) throw new ArgumentException("Linear: the seed's layer has a bias; this module has none.", nameof(module));
        Module = module;
    }

    /// <summary>The core module holding W and b.</summary>
    public NN.Linear Module { get; }

    /// <summary>The weight, (in, out).</summary>
    public Tensor W => Module.W;

    /// <summary>The bias, (1, out).</summary>
    public Tensor B => Module.B!;

    /// <summary>dL/dW averaged over the batch of the last <see cref="Backward"/>, (in, out); zeros before.</summary>
    public Tensor DW => W.Grad ?? Tensor.ZerosLike(W);

    /// <summary>dL/db averaged over the batch of the last <see cref="Backward"/>, (1, out); zeros before.</summary>
    public Tensor DB => B.Grad ?? Tensor.ZerosLike(B);

    /// <summary>The momentum (velocity) of W in the seed's update rule; zeros until an <see cref="MLP"/> step with momentum.</summary>
    public Tensor MomentumW => Optimizer?.MomentumBuffer(W) ?? Tensor.ZerosLike(W);

    /// <summary>The momentum (velocity) of b; zeros until an <see cref="MLP"/> step with momentum.</summary>
    public Tensor MomentumB => Optimizer?.MomentumBuffer(B) ?? Tensor.ZerosLike(B);

    /// <summary>The optimizer of the MLP this layer belongs to, which holds the momentum buffers.</summary>
    internal SGD? Optimizer { get; set; }

    /// <summary>z = x W + b for x of shape (batch, in); remembers x for <see cref="Backward"/>.</summary>
    public Tensor Forward(Tensor x)
    {
        var z = Module.Forward(x);
        input = x.Detach();
        return z;
    }

    /// <summary>
    /// Given delta = dL/dz for the last forward, (batch, out), sets <see cref="DW"/> = x^T delta / batch and
    /// <see cref="DB"/> = the mean of delta's rows, and returns dx = delta W^T, (batch, in), at the current W.
    /// </summary>
    public Tensor Backward(Tensor delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (input is null) throw new InvalidOperationException("Linear.Backward: call Forward first.");
        if (input.Rank != 2)
            throw new InvalidOperationException($"Linear.Backward: the last forward's x is {Shapes.Format(input.Shape)}; the seed's backward needs (batch, {Module.InFeatures}).");
        int m = input.Shape[0];
        if (delta.Rank != 2 || delta.Shape[0] != m || delta.Shape[1] != Module.OutFeatures || delta.DType != W.DType)
            throw new TensorShapeException(
                $"Linear({Module.InFeatures} -> {Module.OutFeatures}).Backward: delta is {Shapes.Format(delta.Shape)} {delta.DType.Name()}; " +
                $"the last forward's output is ({m}, {Module.OutFeatures}) {W.DType.Name()}.", nameof(delta));
        Tensor?[] grads;
        // The core layer again on a leaf of its own, so the gradients stop at this layer's input.
        using (Autograd.EnableGrad())
        {
            var x = input.Detach().RequireGrad();
            grads = Autograd.Grad([Module.Forward(x)], [x, W, B], [delta]);
        }
        using (Autograd.NoGrad())
        {
            W.Grad = grads[1]! / m;
            B.Grad = grads[2]! / m;
        }
        return grads[0]!;
    }
}

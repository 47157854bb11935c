using MyTorch.NN;

namespace MyTorch.Compiled;

/// <summary>
/// A model's forward pass in evaluation mode, planned once per input shape and then run on every batch of that shape
/// with no graph and no allocation: the first batch runs through the model while a <see cref="Recording"/> keeps every
/// kernel launch it makes, and later batches replay those launches into the same tensors.
/// </summary>
/// <remarks>
/// <para>
/// The numbers are those of <c>model.Eval(); model.Forward(x)</c> under <see cref="Autograd.NoGrad"/>, bit for bit:
/// a replay runs the model's own kernels, in the same order, for any model built from the library's ops (the tests check
/// this for every layer). What is saved is the work around them: a graph-free forward still allocates every activation
/// (about 800 KB per batch of 256 for a 784-256-128-10 network), which the garbage collector must clear and collect, and
/// which pushes the weights out of the cache.
/// </para>
/// <para>
/// The model runs in evaluation mode while a shape is recorded, and each module's training flag is put back afterwards.
/// The plan reads the parameters and statistics at every run, so it follows training; a parameter whose storage is
/// replaced (a dtype change, <see cref="Module.LoadStateDict"/> of another shape) is recorded again. A model that
/// computes on the host from values that change between batches runs through its forward instead, and
/// <see cref="NotPlannedReason"/> says where. One thread at a time may run a plan: its tensors are shared.
/// </para>
/// </remarks>
/// <example><code>
/// var inference = CompiledInference.Compile(model).FreezeWeights();
/// Tensor logits = inference.Run(batch); // reused: read it before the next run of this shape
/// </code></example>
public sealed class CompiledInference
{
    private readonly RecordedInference recorded;

    private CompiledInference(RecordedInference recorded) => this.recorded = recorded;

    /// <summary>The element type of the parameters, inputs and outputs.</summary>
    public DType DType => recorded.DType;

    /// <summary>
    /// Why runs go through the model's forward instead of a replay (something computes on the host from values that
    /// change between batches); null while they replay.
    /// </summary>
    public string? NotPlannedReason => recorded.NotPlannedReason;

    /// <summary>Plans the forward pass of <paramref name="model"/>; null, with the reason, for parameters that are not float32 or float64.</summary>
    public static CompiledInference? TryCompile(Module model, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Parameters().FirstOrDefault() is { } first && !first.DType.IsFloatingPoint())
        {
            reason = $"the parameters are {first.DType.Name()}; float32 and float64 are supported.";
            return null;
        }
        reason = null;
        return new CompiledInference(new RecordedInference(model));
    }

    /// <summary>Plans the forward pass as <see cref="TryCompile"/> does.</summary>
    /// <exception cref="NotSupportedException">The parameters are not float32 or float64.</exception>
    public static CompiledInference Compile(Module model) =>
        TryCompile(model, out string? reason)
        ?? throw new NotSupportedException($"CompiledInference: {reason} Run model.Forward under Autograd.NoGrad instead.");

    /// <summary>
    /// The model's outputs for <paramref name="inputs"/>. The returned tensor is reused: it holds these outputs only until
    /// the next run with inputs of the same shape.
    /// </summary>
    /// <exception cref="TensorShapeException">The batch does not fit the model (the layer that refused it says how).</exception>
    public Tensor Run(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return recorded.Run(inputs);
    }

    /// <summary>Writes the model's outputs for <paramref name="inputs"/> into <paramref name="outputs"/>, of the outputs' shape and dtype.</summary>
    /// <exception cref="TensorShapeException">A shape or dtype does not fit the model.</exception>
    public void Run(Tensor inputs, Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (ReferenceEquals(inputs, outputs))
            throw new ArgumentException("CompiledInference: outputs must not be the inputs tensor.", nameof(outputs));
        var result = recorded.Run(inputs);
        if (outputs.DType != result.DType || !Shapes.Equal(outputs.Shape, result.Shape))
            throw new TensorShapeException(
                $"CompiledInference: outputs must be a {result.DType.Name()} tensor of shape {Shapes.Format(result.Shape)}; got " +
                $"{outputs.DType.Name()} of shape {Shapes.Format(outputs.Shape)}.", nameof(outputs));
        outputs.CopyFrom(result);
    }

    /// <summary>Whether runs multiply from packed copies of the weights (<see cref="FreezeWeights"/>).</summary>
    public bool WeightsFrozen => recorded.WeightsFrozen;

    /// <summary>
    /// Multiplies by copies of the weight matrices packed once, at the next run, into the layout the GEMM multiplies from,
    /// instead of packing the weights again at every run; on AVX-512 machines the GEMM then also reads each layer's input
    /// in place. Batches of many rows run faster, and so does a single row, whose sweep over each layer's weights reads
    /// aligned strips (`mytorch bench --only inference` measures both, as paths "frozen" and "compiled"). The outputs are
    /// the same bit for bit, at every batch size. The copy is what later runs see: changes made to the weights afterwards
    /// (an optimizer step, <see cref="Tensor.CopyFrom"/>) are not seen until <see cref="FreezeWeights"/> is called again,
    /// or <see cref="UnfreezeWeights"/>; a weight whose storage is replaced is packed again. Biases and BatchNorm
    /// statistics are still read at every run. The copies take about as much memory as the weights.
    /// </summary>
    /// <returns>This plan.</returns>
    public CompiledInference FreezeWeights()
    {
        recorded.Freeze();
        return this;
    }

    /// <summary>Drops the copies <see cref="FreezeWeights"/> made: every run reads the weights again, as after compiling.</summary>
    /// <returns>This plan.</returns>
    public CompiledInference UnfreezeWeights()
    {
        recorded.Unfreeze();
        return this;
    }
}

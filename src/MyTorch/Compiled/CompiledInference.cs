using System.Numerics;
using MyTorch.Kernels;
using MyTorch.NN;

namespace MyTorch.Compiled;

/// <summary>
/// A feed-forward network's forward pass in evaluation mode, planned once and then run on every batch with no graph
/// and no allocation: the layers write into buffers the plan owns and reuses, element-wise layers work in place, and
/// each Linear layer writes its bias rows and lets the GEMM accumulate onto them.
/// </summary>
/// <remarks>
/// <para>
/// The numbers are those of <c>model.Eval(); model.Forward(x)</c> under <see cref="Autograd.NoGrad"/>, bit for bit:
/// every layer runs the kernels its graph op runs, in the same order (the tests check this for every supported
/// layer). What is saved is the work around them: a graph-free forward still allocates every activation (about
/// 800 KB per batch of 256 for a 784-256-128-10 network), which the garbage collector must clear and collect, and
/// which pushes the weights out of the cache.
/// </para>
/// <para>
/// Supported: <see cref="Sequential"/> (nested too) of <see cref="Linear"/>, <see cref="Identity"/>, <see cref="ReLU"/>,
/// <see cref="LeakyReLU"/>, <see cref="Sigmoid"/>, <see cref="Tanh"/>, <see cref="Dropout"/> (the identity in
/// evaluation mode) and <see cref="BatchNorm1d"/> (with its running statistics, as in evaluation mode), float32 or
/// float64, starting with a Linear layer; <see cref="TryCompile"/> says why anything else is not. The model's own
/// training flag is neither read nor changed. The plan reads the layers' parameters and statistics at every run, so it
/// follows training; compile again after adding or removing layers. One thread at a time may run a plan: its buffers
/// are shared.
/// </para>
/// </remarks>
/// <example><code>
/// var inference = CompiledInference.Compile(model);
/// Tensor logits = inference.Run(batch); // reused: read it before the next Run
/// </code></example>
public sealed class CompiledInference
{
    private readonly InferencePlan? plan;
    private readonly RecordedInference? recorded;

    private CompiledInference(InferencePlan plan) => this.plan = plan;

    private CompiledInference(RecordedInference recorded) => this.recorded = recorded;

    /// <summary>Input features per row (the first Linear layer's) for a chain of layers; null for a recorded plan, which takes what the model takes.</summary>
    public int? InputFeatures => plan?.InputFeatures;

    /// <summary>Output features per row (the last layer's width) for a chain of layers; null for a recorded plan.</summary>
    public int? OutputFeatures => plan?.OutputFeatures;

    /// <summary>The element type of the parameters, inputs and outputs.</summary>
    public DType DType => plan?.DType ?? recorded!.DType;

    /// <summary>
    /// Why a recorded plan runs the model's forward instead of replaying it (something computes on the host from values
    /// that change between batches); null while it replays, and for a chain of layers.
    /// </summary>
    public string? NotPlannedReason => recorded?.NotPlannedReason;

    /// <summary>
    /// Plans the forward pass of <paramref name="model"/>: a chain of Linear, activation, dropout and BatchNorm1d layers
    /// gets the row-blocked plan below; any other model a recorded one (<see cref="Run(Tensor)"/> records the evaluation
    /// forward of each input shape once and replays it). Null, with the reason, for a chain whose widths do not follow
    /// one another, and for a model without float32 or float64 parameters.
    /// </summary>
    public static CompiledInference? TryCompile(Module model, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (LayerChain.TryFlatten(model, inference: true, out var ops, out var dtype, out reason, out bool invalid))
            return new CompiledInference(dtype == DType.Float32 ? new InferencePlan<float>(ops) : new InferencePlan<double>(ops));
        if (invalid) return null;
        if (model.Parameters().FirstOrDefault() is { } first && !first.DType.IsFloatingPoint())
        {
            reason = $"the parameters are {first.DType.Name()}; float32 and float64 are supported.";
            return null;
        }
        reason = null;
        return new CompiledInference(new RecordedInference(model));
    }

    /// <summary>Plans the forward pass as <see cref="TryCompile"/> does.</summary>
    /// <exception cref="NotSupportedException">A layer is not supported (the message says which).</exception>
    public static CompiledInference Compile(Module model) =>
        TryCompile(model, out string? reason)
        ?? throw new NotSupportedException($"CompiledInference: {reason} Run model.Forward under Autograd.NoGrad instead.");

    /// <summary>
    /// The model's outputs, shape (rows, <see cref="OutputFeatures"/>), for a batch of shape (rows,
    /// <see cref="InputFeatures"/>). The returned tensor is reused: it holds these outputs only until the next run.
    /// </summary>
    /// <exception cref="TensorShapeException">The batch's shape or dtype does not fit the model.</exception>
    public Tensor Run(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (plan is null) return recorded!.Run(inputs);
        plan.CheckInputs(inputs);
        var outputs = plan.OutputsFor(inputs.Shape[0]);
        plan.Run(inputs, outputs);
        return outputs;
    }

    /// <summary>
    /// Writes the model's outputs for <paramref name="inputs"/> (rows, <see cref="InputFeatures"/>) into
    /// <paramref name="outputs"/>, a tensor of shape (rows, <see cref="OutputFeatures"/>) and the same dtype.
    /// </summary>
    /// <exception cref="TensorShapeException">A shape or dtype does not fit the model.</exception>
    public void Run(Tensor inputs, Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (plan is null)
        {
            if (ReferenceEquals(inputs, outputs))
                throw new ArgumentException("CompiledInference: outputs must not be the inputs tensor.", nameof(outputs));
            var result = recorded!.Run(inputs);
            if (outputs.DType != result.DType || !Shapes.Equal(outputs.Shape, result.Shape))
                throw new TensorShapeException(
                    $"CompiledInference: outputs must be a {result.DType.Name()} tensor of shape {Shapes.Format(result.Shape)}; got " +
                    $"{outputs.DType.Name()} of shape {Shapes.Format(outputs.Shape)}.", nameof(outputs));
            outputs.CopyFrom(result);
            return;
        }
        plan.CheckInputs(inputs);
        int rows = inputs.Shape[0];
        if (outputs.DType != DType || outputs.Rank != 2 || outputs.Shape[0] != rows || outputs.Shape[1] != OutputFeatures)
            throw new TensorShapeException(
                $"CompiledInference: outputs must be a {DType.Name()} tensor of shape ({rows}, {OutputFeatures}); got " +
                $"{outputs.DType.Name()} of shape {Shapes.Format(outputs.Shape)}.", nameof(outputs));
        if (ReferenceEquals(inputs, outputs))
            throw new ArgumentException("CompiledInference: outputs must not be the inputs tensor.", nameof(outputs));
        plan.Run(inputs, outputs);
    }

    /// <summary>Whether the Linear layers' weights are frozen: packed once by <see cref="FreezeWeights"/> and read from that copy.</summary>
    public bool WeightsFrozen => plan?.WeightsFrozen ?? false;

    /// <summary>
    /// Packs every Linear layer's weight matrix now, once, into the layout the GEMM multiplies from, and multiplies from
    /// that copy at every later run instead of packing the weights again each time; on AVX-512 machines the GEMM then
    /// also reads each layer's input in place instead of packing it. Batches of many rows run faster, and so does a
    /// single row, whose sweep over each layer's weights then reads aligned strips (`mytorch bench --only inference`
    /// measures both, as paths "frozen" and "compiled"). The outputs are the same bit for bit, at every batch size. The
    /// copy is what later runs see: changes made to the weights afterwards (an optimizer step,
    /// <see cref="Module.LoadStateDict"/>, <see cref="Tensor.CopyFrom"/>) are not seen until <see cref="FreezeWeights"/>
    /// is called again, or <see cref="UnfreezeWeights"/>. Biases and BatchNorm statistics are still read at every run.
    /// The copy takes about as much memory as the weights.
    /// </summary>
    /// <returns>This plan.</returns>
    public CompiledInference FreezeWeights()
    {
        plan?.FreezeWeights(); // a recorded plan reads the weights at every run
        return this;
    }

    /// <summary>Drops the copy <see cref="FreezeWeights"/> made: every run reads the weights again, as after compiling.</summary>
    /// <returns>This plan.</returns>
    public CompiledInference UnfreezeWeights()
    {
        plan?.UnfreezeWeights();
        return this;
    }
}

/// <summary>A <see cref="CompiledInference"/>'s layers, independent of the element type.</summary>
internal abstract class InferencePlan(StepOp[] ops, DType dtype)
{
    protected StepOp[] Ops { get; } = ops;

    public DType DType { get; } = dtype;

    public int InputFeatures => Ops[0].InWidth;

    public int OutputFeatures => Ops[^1].OutWidth;

    private Tensor? fullOutputs, otherOutputs;

    public void CheckInputs(Tensor inputs)
    {
        if (inputs.Rank != 2 || inputs.Shape[1] != InputFeatures || inputs.DType != DType)
            throw new TensorShapeException(
                $"CompiledInference: inputs must be a {DType.Name()} batch of shape (rows, {InputFeatures}); got " +
                $"{inputs.DType.Name()} of shape {Shapes.Format(inputs.Shape)}.", nameof(inputs));
    }

    /// <summary>
    /// A reused outputs tensor of exactly rows x outputs: one for the largest batch so far and one for another size
    /// (a data set's last batch), so a steady state allocates nothing.
    /// </summary>
    public Tensor OutputsFor(int rows)
    {
        int largest = fullOutputs?.Shape[0] ?? -1;
        ref var slot = ref rows >= largest ? ref fullOutputs : ref otherOutputs;
        if (slot is null || slot.Shape[0] != rows) slot = Tensor.Empty([rows, OutputFeatures], DType);
        return slot;
    }

    public abstract void Run(Tensor inputs, Tensor outputs);

    public abstract bool WeightsFrozen { get; }

    public abstract void FreezeWeights();

    public abstract void UnfreezeWeights();
}

/// <summary>The buffers of an inference plan for element type <typeparamref name="T"/>.</summary>
/// <remarks>
/// A large batch is split into blocks of rows, one per thread, each run through every layer on its thread: one
/// fork and join per batch instead of one per GEMM, and the activations and small layers run in parallel too. Every
/// row gets the same operations whatever the split (the GEMM's sums do not depend on m), so the bits do not change.
/// </remarks>
internal sealed class InferencePlan<T> : InferencePlan
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] slopes;
    private readonly int maxWidth;
    private readonly long workPerRow; // multiply-adds per row over all Linear layers
    private readonly RowBlocks rowBlocks;
    private T[] front = [], back = []; // ping-pong: each Linear layer writes into the one its input is not in
    private Gemm.PackedB<T>?[]? frozen; // per op: its weights packed by FreezeWeights (Linear layers only)
    private Array?[] frozenFrom = []; // per op: the weight storage each copy was packed from

    public InferencePlan(StepOp[] ops) : base(ops, typeof(T) == typeof(float) ? DType.Float32 : DType.Float64)
    {
        slopes = new T[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            slopes[i] = T.CreateTruncating(ops[i].Slope);
            maxWidth = Math.Max(maxWidth, ops[i].OutWidth);
            if (ops[i].Kind == StepOpKind.Linear) workPerRow += (long)ops[i].InWidth * ops[i].OutWidth;
        }
        rowBlocks = new RowBlocks(this);
    }

    public override bool WeightsFrozen => frozen is not null;

    public override void FreezeWeights()
    {
        var packed = new Gemm.PackedB<T>?[Ops.Length];
        var from = new Array?[Ops.Length];
        for (int i = 0; i < Ops.Length; i++) Pack(i, packed, from);
        frozen = packed;
        frozenFrom = from;
    }

    public override void UnfreezeWeights()
    {
        frozen = null;
        frozenFrom = [];
    }

    private void Pack(int i, Gemm.PackedB<T>?[] packed, Array?[] from)
    {
        var op = Ops[i];
        if (op.Kind != StepOpKind.Linear) return;
        var weights = op.Linear!.W;
        packed[i] = Gemm.PackedB<T>.Pack(weights.Elements<T>(), op.InWidth, op.OutWidth, op.OutWidth);
        from[i] = weights.storage;
    }

    /// <summary>
    /// Packs again, on the calling thread before the row blocks fork, a frozen copy whose weights now live in another
    /// array (their storage was replaced, as a dtype round trip does) or which the current kernel path would not read.
    /// </summary>
    private void RefreshFrozen()
    {
        var packed = frozen!;
        for (int i = 0; i < packed.Length; i++)
        {
            if (packed[i] is { } copy && (!ReferenceEquals(Ops[i].Linear!.W.storage, frozenFrom[i]) || !copy.FitsCurrentPath))
                Pack(i, packed, frozenFrom);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Run(Tensor inputs, Tensor outputs)
    {
        int rows = inputs.Shape[0];
        if (frozen is not null) RefreshFrozen();
        if ((long)rows * maxWidth > front.Length)
        {
            LayerChain.CheckActivationSize("CompiledInference", rows, maxWidth, nameof(inputs));
            front = new T[rows * maxWidth];
            back = new T[rows * maxWidth];
        }

        // Blocks of whole GEMM row tiles, each with at least the GEMM's minimum work per thread.
        int maxThreads = KernelOptions.MaxThreads;
        int blocks = Gemm.RowBlockCount(rows, workPerRow, maxThreads);
        if (blocks <= 1)
        {
            Forward(inputs, outputs, 0, rows, maxThreads);
            return;
        }

        rowBlocks.Set(inputs, outputs, rows, blocks);
        WorkerPool.Run(rowBlocks, blocks, blocks);
        rowBlocks.Set(null, null, 0, 0);
    }

    /// <summary>Rows [start, start + count) through every layer; each layer's block of a buffer is its rows' part.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Forward(Tensor inputs, Tensor outputs, int start, int count, int maxThreads)
    {
        var ops = Ops;
        Span<T> x = inputs.Elements<T>().AsSpan(start * InputFeatures, count * InputFeatures);
        Span<T> result = outputs.Elements<T>().AsSpan(start * OutputFeatures, count * OutputFeatures);
        bool inFront = false; // whether x lies in `front` (the batch itself lies in neither buffer)
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            Span<T> y;
            if (i == ops.Length - 1)
            {
                y = result;
            }
            else if (op.Kind == StepOpKind.Linear)
            {
                y = (inFront ? back : front).AsSpan(start * op.OutWidth, count * op.OutWidth);
                inFront = !inFront;
            }
            else
            {
                y = x; // element-wise, in place: never the batch, as the first layer is Linear
            }

            PlannedLayers<T>.Forward(op, slopes[i], count, x, y, maxThreads, frozen?[i]);
            x = y;
        }
    }

    /// <summary>The row blocks of one run, as tasks for the kernel threads (one instance per plan: no allocation).</summary>
    private sealed class RowBlocks(InferencePlan<T> plan) : ParallelWork
    {
        private Tensor? inputs, outputs;
        private int rows, blocks;

        public void Set(Tensor? inputs, Tensor? outputs, int rows, int blocks)
        {
            this.inputs = inputs;
            this.outputs = outputs;
            this.rows = rows;
            this.blocks = blocks;
        }

        public override void Execute(int index)
        {
            var (start, end) = Gemm.RowBlock(rows, blocks, index);
            if (start < end) plan.Forward(inputs!, outputs!, start, end - start, maxThreads: 1);
        }
    }
}

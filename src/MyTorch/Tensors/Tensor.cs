using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MyTorch;

/// <summary>
/// An N-dimensional array of float32, float64 or int64 elements, stored contiguously in row-major order,
/// that records the operations applied to it so gradients can flow back through them.
/// </summary>
/// <remarks>
/// Tensors are immutable from the outside except through explicit in-place methods (used by optimizers);
/// every op returns a new tensor. Storage is always one contiguous array of exactly <see cref="Count"/>
/// elements, so every kernel works on plain spans. <see cref="Reshape"/> and <see cref="Detach"/> share storage.
/// </remarks>
public sealed partial class Tensor
{
    internal Array storage;
    private int[] shape;
    private bool requiresGrad;
    private bool retainsGrad;

    private static long lastStorageSerial;

    internal Tensor(Array storage, int[] shape, DType dtype, long storageSerial = 0)
    {
        this.storage = storage;
        this.shape = shape;
        DType = dtype;
        StorageSerial = storageSerial != 0 ? storageSerial : Interlocked.Increment(ref lastStorageSerial);
    }

    /// <summary>
    /// Numbers storage arrays in the order they were made; views (Reshape, Detach) keep their source's number.
    /// The backward pass uses it to tell a gradient it made itself (which a leaf may keep without a copy)
    /// from one that shares memory with a tensor made before it started.
    /// </summary>
    internal long StorageSerial { get; private set; }

    /// <summary>The serial the next new storage will be above.</summary>
    internal static long CurrentStorageSerial => Interlocked.Read(ref lastStorageSerial);

    /// <summary>The element type.</summary>
    public DType DType { get; private set; }

    /// <summary>The size of each dimension; empty for a scalar (0-d) tensor.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>The number of elements.</summary>
    public int Count => storage.Length;

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => shape.Length == 0
        ? throw new TensorShapeException($"size: dimension {dim} was asked for, but a 0-d tensor has no dimensions (as in PyTorch).")
        : shape[Shapes.WrapDim(dim, shape.Length, "size")];

    /// <summary>An optional name, shown in error messages and graph drawings.</summary>
    public string? Name { get; set; }

    /// <summary>The gradient accumulated by <see cref="Backward"/> for a leaf tensor (or one that called <see cref="RetainGrad"/>); null until then.</summary>
    public Tensor? Grad
    {
        get => grad;
        set
        {
            grad = value;
            // A replay hands the tensor the same gradient again, after a step's ZeroGrad cleared it.
            if (Compiled.Recording.IsActive) Compiled.Recording.Launch((tensor: this, value), static s => s.tensor.grad = s.value);
        }
    }

    private Tensor? grad;

    /// <summary>The node that created this tensor; null for leaves (tensors made by the user, not by a differentiable op).</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user rather than by an op that recorded a gradient node.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// Whether gradients are computed for this tensor. Set it on leaves (parameters, inputs); results of ops
    /// on such tensors require grad automatically while gradient recording is enabled.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (!IsLeaf && !value)
                throw new InvalidOperationException(
                    $"RequiresGrad can only be changed on leaf tensors; this one was made by '{GradFn!.Name}'. Use Detach() instead.");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"Only floating-point tensors can require gradients; this one is {DType.Name()}.");
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for fluent construction.</summary>
    public Tensor RequireGrad(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    /// <summary>Asks <see cref="Backward"/> to store this non-leaf tensor's gradient in <see cref="Grad"/> too.</summary>
    public Tensor RetainGrad()
    {
        if (IsLeaf) return this;
        retainsGrad = true;
        return this;
    }

    internal bool RetainsGrad => retainsGrad;

    internal void MarkRecorded(GradNode node)
    {
        GradFn = node;
        requiresGrad = true;
    }

    /// <summary>
    /// Backpropagates from this tensor: adds d(this)/d(leaf) into the <see cref="Grad"/> of every leaf that
    /// requires grad. A tensor with more than one element needs <paramref name="gradOutput"/> (dLoss/dThis).
    /// </summary>
    public void Backward(Tensor? gradOutput = null, bool retainGraph = false, bool createGraph = false) =>
        Autograd.Backward(this, gradOutput, retainGraph, createGraph);

    /// <summary>A tensor sharing this one's storage but cut off from the graph: no gradient flows through it.</summary>
    public Tensor Detach()
    {
        var view = AsView(shape);
        view.Name = Name;
        return view;
    }

    /// <summary>A new tensor of <paramref name="viewShape"/> on this one's storage, sharing its version counter; not recorded in the graph.</summary>
    internal Tensor AsView(int[] viewShape)
    {
        var view = new Tensor(storage, viewShape, DType, StorageSerial) { versions = SharedVersions };
        Compiled.Recording.View(this, view);
        return view;
    }

    /// <summary>
    /// How many times the values were changed in place (PyTorch's <c>_version</c>); views share the count with the tensor
    /// they view. A backward pass that needs values which changed after the op saved them refuses to run.
    /// </summary>
    public int Version => versions?.Value ?? 0;

    private VersionCounter? versions;

    private VersionCounter SharedVersions => versions ??= new VersionCounter();

    /// <summary>Counts an in-place change of the values.</summary>
    internal void BumpVersion() => SharedVersions.Value++;

    private sealed class VersionCounter
    {
        public int Value;
    }

    // ---- typed access to storage -------------------------------------------------------------------

    internal T[] Elements<T>()
    {
        Compiled.Recording.Touch(this);
        if (storage is T[] typed) return typed;
        return ThrowWrongType<T>();
    }

    internal Span<T> Span<T>() => Elements<T>();

    /// <summary>The storage array, for copies that work on any element type; a value access like <see cref="Elements"/>.</summary>
    internal Array Values
    {
        get
        {
            Compiled.Recording.Touch(this);
            return storage;
        }
    }

    [DoesNotReturn]
    private T[] ThrowWrongType<T>() =>
        throw new InvalidOperationException($"Tensor of {DType.Name()} read as {typeof(T).Name}.");

    // Every read or write of the values goes through these accessors (or Elements), which tell an active recording.
    internal float[] F32
    {
        get
        {
            Compiled.Recording.Touch(this);
            return Unsafe.As<float[]>(storage);
        }
    }

    internal double[] F64
    {
        get
        {
            Compiled.Recording.Touch(this);
            return Unsafe.As<double[]>(storage);
        }
    }

    internal long[] I64
    {
        get
        {
            Compiled.Recording.Touch(this);
            return Unsafe.As<long[]>(storage);
        }
    }

    internal int[] ShapeArray => shape;

    /// <summary>
    /// Replaces this tensor's values, shape and dtype with <paramref name="source"/>'s while keeping its identity,
    /// so references held by modules and optimizers stay valid (PyTorch's <c>param.data = ...</c>). Not recorded.
    /// </summary>
    internal void SetData(Tensor source)
    {
        storage = source.storage;
        shape = source.shape;
        DType = source.DType;
        StorageSerial = source.StorageSerial;
    }

    // ---- reading -----------------------------------------------------------------------------------

    /// <summary>The elements as a new float array, in row-major order (float64 and int64 values are converted).</summary>
    public float[] ToArray() => ToArray<float>();

    /// <summary>The elements as a new array of <typeparamref name="T"/> (float, double or long), converting if needed.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        Compiled.Recording.Touch(this);
        if (storage is T[] same) return (T[])same.Clone();
        var result = new T[Count];
        for (int i = 0; i < result.Length; i++) result[i] = ConvertElement<T>(GetDouble(i), GetInt64(i));
        return result;
    }

    private static T ConvertElement<T>(double value, long integer)
    {
        if (typeof(T) == typeof(float)) return (T)(object)(float)value;
        if (typeof(T) == typeof(double)) return (T)(object)value;
        if (typeof(T) == typeof(long)) return (T)(object)integer;
        throw new NotSupportedException($"ToArray<{typeof(T).Name}> is not supported; use float, double or long.");
    }

    internal double GetDouble(int flatIndex) => DType switch
    {
        DType.Float32 => F32[flatIndex],
        DType.Float64 => F64[flatIndex],
        _ => I64[flatIndex],
    };

    private long GetInt64(int flatIndex) => DType switch
    {
        DType.Float32 => (long)F32[flatIndex],
        DType.Float64 => (long)F64[flatIndex],
        _ => I64[flatIndex],
    };

    internal void SetDouble(int flatIndex, double value)
    {
        switch (DType)
        {
            case DType.Float32: F32[flatIndex] = (float)value; break;
            case DType.Float64: F64[flatIndex] = value; break;
            default: I64[flatIndex] = (long)value; break;
        }
    }

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item()
    {
        if (Count != 1)
            throw new TensorShapeException($"Item: only a tensor with one element has an item; this one has shape {Shapes.Format(shape)} ({Count} elements).");
        return GetDouble(0);
    }

    /// <summary>The element at the given multi-dimensional index, as a double.</summary>
    public double At(params int[] index) => GetDouble(FlatIndex(index));

    internal int FlatIndex(ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length)
            throw new TensorShapeException($"At: index has {index.Length} coordinate(s) but the tensor has shape {Shapes.Format(shape)}.");
        int flat = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if ((uint)i >= (uint)shape[d])
                throw new TensorShapeException($"At: index {index[d]} is out of range for dimension {d} of size {shape[d]} (shape {Shapes.Format(shape)}).");
            flat = flat * shape[d] + i;
        }
        return flat;
    }

    /// <summary>A short description: shape, dtype, whether it requires grad, and its values when small.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("tensor(");
        if (Count <= 100) AppendValues(text, 0, 0);
        else text.Append("...");
        text.Append(", shape=").Append(Shapes.Format(shape)).Append(", dtype=").Append(DType.Name());
        if (GradFn is not null) text.Append(", grad_fn=").Append(GradFn.Name);
        else if (RequiresGrad) text.Append(", requires_grad=True");
        if (Name is not null) text.Append(", name=").Append(Name);
        return text.Append(')').ToString();
    }

    private int AppendValues(StringBuilder text, int dim, int offset)
    {
        if (dim == shape.Length)
        {
            text.Append(DType == DType.Int64
                ? GetInt64(offset).ToString(CultureInfo.InvariantCulture)
                : GetDouble(offset).ToString("G6", CultureInfo.InvariantCulture));
            return offset + 1;
        }
        text.Append('[');
        for (int i = 0; i < shape[dim]; i++)
        {
            if (i > 0) text.Append(", ");
            offset = AppendValues(text, dim + 1, offset);
        }
        text.Append(']');
        return offset;
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace MyTorch.Compiled;

/// <summary>One kernel launch kept by a <see cref="Recording"/>: the same delegate and state the op ran eagerly.</summary>
internal abstract class RecordedLaunch
{
    public abstract void Execute();
}

internal sealed class RecordedLaunch<TState>(TState state, Action<TState> kernel) : RecordedLaunch
{
    public override void Execute() => kernel(state);
}

/// <summary>
/// The launch point every op's computation goes through, and the recorder that plans replay. Eagerly, a launch runs its
/// kernel and nothing else. While a recording is active on the thread, the launch is also kept, so that replaying the
/// kept launches in order recomputes every tensor the recorded code computed, into the same tensors, with the same
/// kernels: the planned paths are the graph's computation by construction, not a copy of it.
/// </summary>
/// <remarks>
/// <para>
/// What replay cannot redo is work done outside launches: C# code that reads a tensor's values to decide something, or
/// writes values without a launch. While recording, every such access to a tensor whose values can change between runs
/// (one that existed before the recording began, such as a parameter or an input, or one a launch wrote) is a
/// violation: the recording is refused with the reason, and the caller runs on the dynamic graph instead.
/// </para>
/// <para>
/// A kernel must read its tensors' storage when it runs (through the tensor, never an array captured at launch time),
/// so that inputs bound anew for each run are the ones it reads.
/// </para>
/// </remarks>
internal sealed class Recording
{
    [ThreadStatic]
    private static Recording? current;

    private readonly long firstSerial;
    private readonly HashSet<Array> computed = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, Array> externals = new(ReferenceEqualityComparer.Instance);
    private readonly List<RecordedLaunch> launches = [];
    private readonly List<RecordedLaunch> checks = [];
    private readonly HashSet<Tensor> views = new(ReferenceEqualityComparer.Instance);
    private int depth;

    private Recording() => firstSerial = Tensor.CurrentStorageSerial;

    /// <summary>Whether launches on this thread are being recorded.</summary>
    public static bool IsActive => current is not null;

    /// <summary>The first reason replay would differ from what ran, or null.</summary>
    public string? Violation { get; private set; }

    /// <summary>Launches kept since the last <see cref="TakeLaunches"/>, in order.</summary>
    public RecordedLaunch[] TakeLaunches()
    {
        var taken = launches.ToArray();
        launches.Clear();
        return taken;
    }

    /// <summary>The bytes of the tensors the recorded launches made or wrote: what a program of this recording keeps.</summary>
    public long ComputedBytes
    {
        get
        {
            long bytes = 0;
            foreach (var storage in computed) bytes += (long)storage.Length * (storage is float[] ? 4 : 8);
            return bytes;
        }
    }

    /// <summary>Tensors from before the recording that launches read or wrote, with the storage they had.</summary>
    public IReadOnlyDictionary<Tensor, Array> Externals => externals;

    /// <summary>Starts recording on this thread; dispose the scope to stop.</summary>
    public static Scope Start(out Recording recording)
    {
        if (current is not null) throw new InvalidOperationException("A recording is already active on this thread.");
        recording = new Recording();
        current = recording;
        return new Scope(recording);
    }

    /// <summary>Runs <paramref name="kernel"/> on <paramref name="state"/>, and keeps it when recording.</summary>
    /// <remarks>Pass a static lambda: its delegate is cached, so an eager launch allocates nothing.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Launch<TState>(TState state, Action<TState> kernel)
    {
        var recording = current;
        if (recording is null)
        {
            kernel(state);
            return;
        }
        recording.Run(state, kernel);
    }

    private void Run<TState>(TState state, Action<TState> kernel, List<RecordedLaunch>? keptIn = null)
    {
        depth++;
        try
        {
            kernel(state);
        }
        finally
        {
            depth--;
        }
        // A launch made inside another launch is part of it: replaying the outer one runs it again.
        if (depth == 0) (keptIn ?? launches).Add(new RecordedLaunch<TState>(state, kernel));
    }

    /// <summary>
    /// Runs a check of <paramref name="input"/>'s values (class indices in range, say), and keeps it when recording. A
    /// check of a tensor from before the recording (a plan's input) is kept apart, so that a replay runs it before any
    /// launch changes state: a batch that fails it changes nothing.
    /// </summary>
    public static void Check<TState>(Tensor input, TState state, Action<TState> check)
    {
        var recording = current;
        if (recording is null)
        {
            check(state);
            return;
        }
        bool ofAnInput = input.StorageSerial <= recording.firstSerial;
        recording.Run(state, check, ofAnInput ? recording.checks : null);
    }

    /// <summary>Checks of the inputs kept since the last <see cref="TakeChecks"/>, in order.</summary>
    public RecordedLaunch[] TakeChecks()
    {
        var taken = checks.ToArray();
        checks.Clear();
        return taken;
    }

    /// <summary>Stops recording on this thread until the returned scope is disposed (to read a result, say).</summary>
    public Scope Suspend()
    {
        if (!ReferenceEquals(current, this)) throw new InvalidOperationException("Only the active recording can be suspended.");
        current = null;
        return new Scope(this, resume: true);
    }

    /// <summary>Makes <paramref name="view"/> share <paramref name="source"/>'s storage at every replay, as it does now.</summary>
    public static void View(Tensor source, Tensor view)
    {
        var recording = current;
        if (recording is null || recording.depth > 0) return;
        // A view of a tensor from before the recording follows its storage; a replay must know if that storage is replaced.
        if (source.StorageSerial <= recording.firstSerial && !recording.views.Contains(source)) recording.externals.TryAdd(source, source.storage);
        recording.views.Add(view);
        recording.launches.Add(new RecordedLaunch<(Tensor Source, Tensor View)>((source, view), static s => s.View.storage = s.Source.storage));
    }

    /// <summary>Called by the tensor accessors: notes the tensors launches use, and flags host access to changing values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Touch(Tensor tensor)
    {
        var recording = current;
        if (recording is not null) recording.OnTouch(tensor);
    }

    private void OnTouch(Tensor tensor)
    {
        bool external = tensor.StorageSerial <= firstSerial;
        if (depth > 0)
        {
            // A view made while recording is pointed at its source's storage by its own launch: nothing to watch.
            if (external && !views.Contains(tensor)) externals.TryAdd(tensor, tensor.storage);
            else computed.Add(tensor.storage);
            return;
        }
        if (Violation is null && (external || computed.Contains(tensor.storage)))
            Violation = $"{Caller()} reads or writes the values of a tensor of shape {Shapes.Format(tensor.Shape)} outside a kernel launch, " +
                "so a replay could not repeat it.";
    }

    /// <summary>Refuses the recording: something that ran cannot be replayed.</summary>
    public static void Refuse(string reason)
    {
        var recording = current;
        if (recording is not null) recording.Violation ??= reason;
    }

    /// <summary>The first method outside the tensor and recording plumbing on the stack, to name in a violation.</summary>
    private static string Caller()
    {
        var frames = new StackTrace(2, false).GetFrames();
        foreach (var frame in frames)
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            if (type is null || type == typeof(Recording) || type == typeof(Tensor)) continue;
            return $"{type.Name}.{method!.Name}";
        }
        return "an op";
    }

    /// <summary>Ends a recording when disposed.</summary>
    public readonly struct Scope(Recording recording, bool resume = false) : IDisposable
    {
        /// <summary>Stops recording on this thread (or, for a suspension, resumes it).</summary>
        public void Dispose()
        {
            if (resume) current = recording;
            else if (ReferenceEquals(current, recording)) current = null;
        }
    }
}

namespace MyTorch.Compiled;

/// <summary>
/// The launches one run of some code made, recorded by <see cref="Recording"/>, ready to run again on new inputs of the
/// same shapes: the inputs are bound to the tensors the code was given, the checks of the inputs run first, then each
/// section of launches in order. Every tensor the code made is kept and written again, so a replay allocates nothing.
/// </summary>
internal sealed class ReplayProgram
{
    private readonly Tensor[] placeholders;
    private readonly RecordedLaunch[] checks;
    private readonly RecordedLaunch[][] sections;
    private readonly Tensor[] externals;
    private readonly Array[] externalStorages;

    private ReplayProgram(Tensor[] placeholders, RecordedLaunch[] checks, RecordedLaunch[][] sections, Tensor[] externals, Array[] storages,
        long bytes)
    {
        Bytes = bytes;
        this.placeholders = placeholders;
        this.checks = checks;
        this.sections = sections;
        this.externals = externals;
        externalStorages = storages;
    }

    /// <summary>
    /// The program of a finished recording whose code was given <paramref name="placeholders"/> (tensors made for it, sharing
    /// the first inputs' storage), with the launches of each section; null, with the reason, when it cannot be replayed.
    /// </summary>
    public static ReplayProgram? Create(Recording recording, Tensor[] placeholders, RecordedLaunch[][] sections, out string? reason)
    {
        reason = recording.Violation;
        if (reason is not null) return null;
        var externals = new List<Tensor>();
        var storages = new List<Array>();
        foreach (var (tensor, storage) in recording.Externals)
        {
            if (Array.Exists(placeholders, p => ReferenceEquals(p, tensor))) continue;
            externals.Add(tensor);
            storages.Add(storage);
        }
        return new ReplayProgram(placeholders, recording.TakeChecks(), sections, [.. externals], [.. storages], recording.ComputedBytes);
    }

    /// <summary>The bytes of the tensors the program keeps and writes again at every run.</summary>
    public long Bytes { get; }

    /// <summary>Whether the given inputs have the recorded inputs' shapes and dtypes.</summary>
    public bool Fits(Tensor first, Tensor? second = null)
    {
        if (!Same(placeholders[0], first)) return false;
        return placeholders.Length == 1 ? second is null : second is not null && Same(placeholders[1], second);
    }

    private static bool Same(Tensor recorded, Tensor given) => recorded.DType == given.DType && Shapes.Equal(recorded.Shape, given.Shape);

    /// <summary>
    /// Whether every tensor the launches use from outside still has the storage it had when recorded: replacing a parameter's
    /// values wholesale (a dtype change, loading a state dict) calls for a new recording.
    /// </summary>
    public bool IsCurrent()
    {
        for (int i = 0; i < externals.Length; i++)
        {
            if (!ReferenceEquals(externals[i].storage, externalStorages[i])) return false;
        }
        return true;
    }

    /// <summary>Binds the inputs of this run (of the recorded shapes) and runs the checks of their values.</summary>
    public void Bind(Tensor first, Tensor? second = null)
    {
        placeholders[0].storage = first.storage;
        if (second is not null) placeholders[1].storage = second.storage;
        foreach (var check in checks) check.Execute();
    }

    /// <summary>Runs the launches of section <paramref name="section"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Run(int section)
    {
        foreach (var launch in sections[section]) launch.Execute();
    }

    /// <summary>How many launches each section holds, for tests and diagnostics.</summary>
    public int[] LaunchCounts => Array.ConvertAll(sections, s => s.Length);
}

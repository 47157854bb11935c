namespace MyTorch.Compiled;

/// <summary>
/// The recorded programs of one routine, one per shape of its inputs (and training flag), most recent first, with what
/// each recording left for its runs to read (<typeparamref name="TResult"/>: the loss and outputs tensors, say).
/// </summary>
/// <remarks>
/// Each program keeps every tensor its recording made, so the cache also holds at most <see cref="MaxBytes"/> of them
/// (the newest program is kept whatever its size): a large model's programs for a full batch and a short last batch
/// would otherwise keep two copies of every activation, where recording the short one again each epoch costs one step
/// through the graph.
/// </remarks>
internal sealed class ReplayCache<TResult>(int capacity = ReplayCache<TResult>.DefaultCapacity)
{
    /// <summary>Enough for a training run's full batches and its last short one, plus an evaluation-sized batch or two.</summary>
    public const int DefaultCapacity = 4;

    /// <summary>The most bytes of recorded tensors kept over all programs but the newest.</summary>
    public long MaxBytes { get; set; } = 64L << 20;

    private readonly List<(ReplayProgram Program, bool Training, TResult Result)> entries = [];

    /// <summary>The program recorded for inputs of these shapes and this training flag, or null (also when a parameter's storage was replaced).</summary>
    public ReplayProgram? Find(Tensor first, Tensor? second, bool training, out TResult result)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Training != training || !entry.Program.Fits(first, second)) continue;
            if (entry.Program.IsCurrent())
            {
                result = entry.Result;
                return entry.Program;
            }
            entries.RemoveAt(i); // a parameter's storage was replaced: record again
            break;
        }
        result = default!;
        return null;
    }

    /// <summary>Keeps a new program, dropping the least recently recorded one when full.</summary>
    public void Add(ReplayProgram program, bool training, TResult result)
    {
        if (entries.Count == capacity) entries.RemoveAt(capacity - 1);
        entries.Insert(0, (program, training, result));
        long bytes = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            bytes += entries[i].Program.Bytes;
            if (i > 0 && bytes > MaxBytes)
            {
                entries.RemoveRange(i, entries.Count - i);
                break;
            }
        }
    }

    /// <summary>Drops every program.</summary>
    public void Clear() => entries.Clear();
}

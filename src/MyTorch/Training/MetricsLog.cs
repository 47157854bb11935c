using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MyTorch.TrainingLoop;

/// <summary>
/// Appends each epoch's metrics to a file as the run goes (one line per epoch, flushed), so a long run can be
/// followed, and a stopped one leaves its epochs: <see cref="Format.JsonLines"/> (one JSON object per line) or
/// <see cref="Format.Csv"/> (a header, then one row per epoch; the columns are fixed by the first epoch).
/// </summary>
public sealed class MetricsLog : TrainingCallback
{
    private List<string>? columns;

    /// <summary>The file formats.</summary>
    public enum Format
    {
        /// <summary>One JSON object per line: <c>{"epoch":1,"loss":...,"lr":...,"seconds":...}</c>.</summary>
        JsonLines,
        /// <summary>Comma-separated values with a header row.</summary>
        Csv,
    }

    /// <summary>
    /// Writes to <paramref name="path"/> in <paramref name="format"/>. Without <paramref name="append"/> the file is
    /// replaced, starting with the epochs already in the trainer's history (a resumed run's); with it, new epochs are added.
    /// </summary>
    public MetricsLog(string path, Format format, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        FileFormat = format;
        Append = append;
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>Its format.</summary>
    public Format FileFormat { get; }

    /// <summary>Whether a run adds to an existing file instead of replacing it.</summary>
    public bool Append { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        columns = null;
        if (!Append || !File.Exists(Path))
        {
            // Made at the first epoch written, so that a run that finishes no epoch leaves no empty file.
            File.Delete(Path);
            foreach (var epoch in trainer.History.Epochs) OnEpochEnd(trainer, epoch);
        }
        else if (FileFormat == Format.Csv)
        {
            var header = File.ReadLines(Path).FirstOrDefault();
            if (!string.IsNullOrEmpty(header)) columns = [.. header.Split(',')];
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var values = new List<(string Name, double Value)> { ("epoch", epoch.Epoch) };
        values.AddRange(epoch.Metrics.Select(m => (m.Key, m.Value)));
        values.Add(("lr", epoch.LearningRate));
        values.Add(("seconds", epoch.Seconds));
        values.Add(("samples_per_second", epoch.SamplesPerSecond));
        var line = new StringBuilder();
        if (FileFormat == Format.JsonLines)
        {
            line.Append('{').AppendJoin(',', values.Select(v => $"{JsonSerializer.Serialize(v.Name)}:{Json(v.Value)}")).Append('}');
        }
        else
        {
            if (columns is null)
            {
                columns = values.Select(v => v.Name).ToList();
                line.AppendJoin(',', columns).Append('\n');
            }
            var byName = values.ToDictionary(v => v.Name, v => v.Value);
            line.AppendJoin(',', columns.Select(c => byName.TryGetValue(c, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""));
        }
        line.Append('\n');
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        writer.Write(line.ToString());
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    private static string Json(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "null";
}

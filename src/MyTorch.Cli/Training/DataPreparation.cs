using MyTorch.Data;
using MyTorch.IO;

namespace MyTorch.Cli.Training;

/// <summary>The data of a run: normalized splits, and the fitted transforms that a saved model carries.</summary>
public sealed record PreparedData(
    TensorDataset Train,
    TensorDataset Validation,
    TensorDataset Test,
    int Inputs,
    int Classes,
    string Source,
    InputNormalizer Normalizer,
    TargetScaler? TargetScaler,
    string[] FeatureNames,
    string[] TargetNames);

/// <summary>Loads the data a <see cref="TrainConfig"/> names and prepares its splits.</summary>
public static class DataPreparation
{
    /// <summary>The most classes a CSV label column may name (labels 0 to 65,535).</summary>
    public const int MaxClasses = 65_536;

    /// <summary>Where Debian's dataset-fashion-mnist package installs Fashion-MNIST.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Loads, splits and normalizes. The validation split is carved from the training set by a permutation seeded from the run's seed.</summary>
    public static PreparedData Prepare(TrainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? PrepareCsv(config) : PrepareIdx(config);
    }

    /// <summary>The folder holding the four IDX files for a --data value.</summary>
    public static string ResolveIdxDirectory(string data)
    {
        if (data == "mnist") return FindShippedMnist();
        if (data == "fashion-mnist")
        {
            if (!Directory.Exists(FashionMnistDirectory))
                throw new DirectoryNotFoundException(
                    $"Fashion-MNIST was looked for in {FashionMnistDirectory} and not found. Install it with: apt-get install -y dataset-fashion-mnist");
            return FashionMnistDirectory;
        }
        if (File.Exists(data))
            throw new ArgumentException(
                $"Invalid value {MessageText.Quote(data, 200)} for option --data: it is a file, not a folder; --data takes mnist, fashion-mnist, a folder with the four IDX files, or a file whose name ends in .csv.", nameof(data));
        if (!Directory.Exists(data))
            throw new DirectoryNotFoundException(
                $"Invalid value {MessageText.Quote(data, 200)} for option --data: it does not exist (full path {MessageText.Clean(Path.GetFullPath(data), 200)}); --data takes mnist, fashion-mnist, a folder with the four IDX files, or a .csv file.");
        return data;
    }

    /// <summary>The shipped digits: data/mnist-10k under the current folder or any folder above the program.</summary>
    private static string FindShippedMnist()
    {
        var relative = Path.Combine("data", "mnist-10k");
        if (Directory.Exists(relative)) return relative;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            $"The shipped MNIST digits were looked for in {Path.GetFullPath(relative)} and in the folders above {AppContext.BaseDirectory}, and not found. Run from the repository root or pass --data DIR.");
    }

    private static PreparedData PrepareIdx(TrainConfig config)
    {
        if (config.IsRegression)
            throw new ArgumentException("Invalid value 'regression' for option --task: image data sets are for classification; regression needs a .csv file.");
        string directory = ResolveIdxDirectory(config.Data);
        // Each training image goes straight into its split as it is read, so the whole training set is never held
        // beside the two splits; the splits and the test set are this run's own, so they are normalized in place.
        var (train, validation, test) = Mnist.LoadSplit(directory, config.ValidationSplit, SplitGenerator(config));
        if (train.Count + validation.Count == 0)
            throw new DataFormatException(Path.GetFullPath(directory), "the training images file holds no images", expected: "at least one training image", found: "0");
        int classes = (int)Math.Max(Math.Max(MaxLabel(train), MaxLabel(validation)), MaxLabel(test)) + 1;
        if (config.Loss == "bce" && classes != 2)
            throw new ArgumentException($"Invalid value 'bce' for option --loss: binary cross-entropy needs 2 classes, the data has {classes}.");
        // Pixels read from bytes are always finite; the check stays (for any reader to come) and costs one vectorized pass.
        train.CheckFinite();
        validation.CheckFinite();
        // auto: one mean and standard deviation over all training pixels, as torchvision's Normalize does for
        // MNIST; scale: seed 004's x / 255.
        var normalizer = config.Normalize is "auto" or "standardize" ? InputNormalizer.Standardize(perFeature: false)
            : config.Normalize == "none" ? InputNormalizer.Scale(1) : InputNormalizer.Scale(255);
        normalizer.Fit(train.Inputs);
        int inputs = train.Inputs.Shape[1];
        var featureNames = Enumerable.Range(0, inputs).Select(i => $"pixel{i}").ToArray();
        return new PreparedData(
            NormalizeOwned(train, normalizer), NormalizeOwned(validation, normalizer), NormalizeOwned(test, normalizer),
            inputs, classes, Path.GetFullPath(directory), normalizer, null, featureNames,
            Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>The largest label of an MNIST split, 0 for an empty one.</summary>
    private static long MaxLabel(TensorDataset data)
    {
        long max = 0;
        foreach (long label in data.Targets.ToArray<long>()) max = Math.Max(max, label);
        return max;
    }

    private static PreparedData PrepareCsv(TrainConfig config)
    {
        Commands.CommandLineErrors.CheckFileOption(config.Data, "--data", "a CSV file with a header row and rows of numbers");
        var table = Csv.Read(config.Data);
        if (table.Rows == 0)
            throw new DataFormatException(config.Data, "the file has a header but no data rows", row: 2, expected: "at least one row of numbers", found: "none");
        string[] targets = config.Target.Length > 0 ? config.Target : [table.Header[^1]];
        var features = table.Header.Where(h => !targets.Contains(h)).ToArray();
        foreach (var target in targets) table.IndexOf(target);
        if (features.Length == 0)
            throw new DataFormatException(config.Data, $"no feature columns are left beside the target {MessageText.List(targets, 4)}", row: 1,
                expected: "at least one feature column beside the target", found: $"the columns {MessageText.List(table.Header, 4)}");
        var x = table.AllExcept(targets);
        var rawTargets = table.Columns(targets);
        Tensor y;
        int classes;
        if (config.IsRegression)
        {
            y = rawTargets;
            classes = targets.Length;
        }
        else
        {
            if (targets.Length != 1)
                throw new ArgumentException($"Invalid value '{string.Join(',', targets)}' for option --target: classification takes one label column.");
            var values = rawTargets.ToArray<double>();
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] < 0 || values[i] != Math.Floor(values[i]))
                    throw new DataFormatException(config.Data, "a class label is not a whole number 0, 1, 2, ...", row: i + 2, column: targets[0],
                        found: values[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
                // The output layer gets one unit per class, so a stray huge label must not size it.
                if (values[i] >= MaxClasses)
                    throw new DataFormatException(config.Data, "a class label is too large", row: i + 2, column: targets[0],
                        expected: $"a label below {MaxClasses}", found: values[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            classes = (int)values.DefaultIfEmpty(0).Max() + 1;
            if (config.Loss == "bce" && classes > 2)
                throw new ArgumentException($"Invalid value 'bce' for option --loss: binary cross-entropy needs labels 0 and 1, the data has {classes} classes.");
            if (config.Loss == "bce") classes = 2;
            y = Tensor.FromArray(values.Select(v => (long)v).ToArray());
        }
        var all = new TensorDataset(x, y);
        all.CheckFinite();
        var (rest, test) = DatasetSplit.TrainValidation(all, config.TestSplit, SplitGenerator(config));
        var (train, validation) = DatasetSplit.TrainValidation(rest, config.ValidationSplit, SplitGenerator(config));
        var normalizer = config.Normalize is "auto" or "standardize" ? InputNormalizer.Standardize(perFeature: true) : InputNormalizer.Scale(1);
        normalizer.Fit(train.Inputs);
        TargetScaler? scaler = null;
        if (config.IsRegression)
        {
            scaler = TargetScaler.Create(config.TargetScaling);
            scaler.Fit(train.Targets);
        }
        return new PreparedData(
            NormalizeOwned(train, normalizer, scaler), NormalizeOwned(validation, normalizer, scaler), NormalizeOwned(test, normalizer, scaler),
            features.Length, classes, Path.GetFullPath(config.Data), normalizer, scaler, features, targets);
    }

    /// <summary>A generator for splits only, so the same seed carves the same splits however training draws.</summary>
    private static Generator SplitGenerator(TrainConfig config) => new(config.Seed ^ 0x5EED_5EED_5EED_5EEDUL);

    private static TensorDataset Normalize(TensorDataset data, InputNormalizer normalizer, TargetScaler? scaler = null) =>
        new(normalizer.Transform(data.Inputs), scaler is null ? data.Targets : scaler.Transform(data.Targets));

    /// <summary>Normalizes a split nothing else holds, in place when its inputs are float (a copy saved for nothing otherwise).</summary>
    private static TensorDataset NormalizeOwned(TensorDataset data, InputNormalizer normalizer, TargetScaler? scaler = null) =>
        data.Inputs.DType.IsFloatingPoint() && !data.Inputs.RequiresGrad
            ? new(normalizer.TransformInPlace(data.Inputs), scaler is null ? data.Targets : scaler.Transform(data.Targets))
            : Normalize(data, normalizer, scaler);
}

using System.Globalization;
using System.Text;

namespace MyTorch.NN;

/// <summary>One row of a <see cref="ModelSummary"/>: a layer, the shape it outputs, and its parameters.</summary>
/// <param name="Name">The layer's path in the model (<c>0</c>, <c>2.1</c>), as in state-dict keys.</param>
/// <param name="Layer">The layer's description (<c>Linear(in_features=784, out_features=256, bias=True)</c>).</param>
/// <param name="OutputShape">The shape the layer outputs for the summary's input shape.</param>
/// <param name="Parameters">Elements of the layer's own parameters.</param>
/// <param name="Trainable">Elements of those that require grad.</param>
public sealed record LayerSummary(string Name, string Layer, int[] OutputShape, long Parameters, long Trainable);

/// <summary>
/// Every layer of a model with the shape it outputs for an input shape and its parameter counts, as Keras's
/// <c>model.summary()</c> or torchinfo give them: <see cref="Module.Summary"/> makes it, <see cref="ToString"/> prints it.
/// </summary>
public sealed class ModelSummary
{
    internal ModelSummary(int[] inputShape, IReadOnlyList<LayerSummary> layers, long parameters, long trainable)
    {
        InputShape = inputShape;
        Layers = layers;
        TotalParameters = parameters;
        TrainableParameters = trainable;
    }

    /// <summary>The input shape the output shapes are for.</summary>
    public int[] InputShape { get; }

    /// <summary>The layers in order: the children of each <see cref="Sequential"/>, nested ones expanded.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>Elements of all the model's parameters.</summary>
    public long TotalParameters { get; }

    /// <summary>Elements of the parameters that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>The summary as an aligned text table with totals.</summary>
    public override string ToString()
    {
        var table = new Visualization.TextTable("layer", "type", "output shape", "parameters", "trainable") { Title = $"input {Shapes.Format(InputShape)}" };
        foreach (var layer in Layers)
            table.AddRow(layer.Name, layer.Layer, Shapes.Format(layer.OutputShape), Count(layer.Parameters), Count(layer.Trainable));
        var text = new StringBuilder(table.ToString());
        text.Append(CultureInfo.InvariantCulture, $"total parameters: {Count(TotalParameters)} ({Count(TrainableParameters)} trainable, ")
            .Append(CultureInfo.InvariantCulture, $"{Count(TotalParameters - TrainableParameters)} frozen)").AppendLine();
        return text.ToString();
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="model"/> in evaluation mode on zeros of <paramref name="inputShape"/>, layer by layer.</summary>
    internal static ModelSummary Of(Module model, int[] inputShape, DType dtype)
    {
        var flags = model.NamedModules().Select(named => (named.Module, named.Module.IsTraining)).ToArray();
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var rows = new List<LayerSummary>();
            var x = Tensor.Zeros(inputShape, dtype);
            if (model is Sequential) Walk(model, "", x, rows);
            else rows.Add(Row("", model, model.Forward(x)));
            var parameters = model.Parameters().ToArray();
            return new ModelSummary((int[])inputShape.Clone(), rows, parameters.Sum(p => (long)p.Count),
                parameters.Where(p => p.RequiresGrad).Sum(p => (long)p.Count));
        }
        finally
        {
            foreach (var (module, training) in flags) module.Train(training);
        }
    }

    private static Tensor Walk(Module sequential, string prefix, Tensor x, List<LayerSummary> rows)
    {
        foreach (var (name, child) in sequential.NamedChildren())
        {
            string path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (child is Sequential) x = Walk(child, path, x, rows);
            else
            {
                x = Forward(child, path, x);
                rows.Add(Row(path, child, x));
            }
        }
        return x;
    }

    private static Tensor Forward(Module layer, string path, Tensor x)
    {
        try
        {
            return layer.Forward(x);
        }
        catch (TensorShapeException error)
        {
            throw new TensorShapeException($"Summary: layer {path} ({layer.OneLineDescription}) does not take an input of shape {Shapes.Format(x.Shape)}: {error.Message}");
        }
    }

    private static LayerSummary Row(string name, Module layer, Tensor output)
    {
        var own = layer.Parameters().ToArray();
        return new LayerSummary(name.Length == 0 ? "(model)" : name, layer.OneLineDescription, output.ShapeArray.ToArray(),
            own.Sum(p => (long)p.Count), own.Where(p => p.RequiresGrad).Sum(p => (long)p.Count));
    }
}

package dev.specdiff4j.langchain4j;

import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;

/**
 * A LangChain4j {@link LanguageModel}: text in, the model's continuation out, with speculative decoding.
 * <pre>{@code
 * LanguageModel model = SpecDiff4jLanguageModel.builder().generator(generator).gamma(3).steps(1).maxTokens(64).build();
 * String text = model.generate("The jury said").content();
 * }</pre>
 */
public final class SpecDiff4jLanguageModel extends SpecDiff4jModel implements LanguageModel {
    private SpecDiff4jLanguageModel(Core core) {
        super(core);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Response<String> generate(String prompt) {
        return core.response(core.generate(prompt, core.defaults, text -> { }));
    }

    public static final class Builder extends SpecDiff4jModelBuilder<Builder, SpecDiff4jLanguageModel> {
        @Override
        public SpecDiff4jLanguageModel build() {
            return new SpecDiff4jLanguageModel(core(false));
        }
    }
}

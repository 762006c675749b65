import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import ImageGPTDemo from './ImageGPTDemo.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('ImageGPTDemo', ImageGPTDemo);
  },
} satisfies Theme;
